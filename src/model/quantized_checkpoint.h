// `fathom quantize`: rewrite a checkpoint directory in another weight format (q8, q4, bf16, fp8
// or f32), streaming one tensor at a time from the memory-mapped source, so a model larger than RAM
// converts. The output is an ordinary HF-layout directory that loads by mmap with no further
// conversion: config.json, safetensors (our Q8_0/Q4_0 recorded in the header metadata,
// core/quant_format.h), the tokenizer and generation files copied.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/weight_encoding.h"

namespace fathom {

struct QuantizeOptions {
  WeightFormat format = WeightFormat::kQ8;
  uint64_t shard_bytes = uint64_t(4) << 30;
};

struct QuantizeSummary {
  uint64_t bytes_in = 0, bytes_out = 0;  // tensor data
  int64_t params = 0;
  std::vector<std::string> copied_files;
};

// Every matrix is read through the kernels' dequantize_row (so any format fathom loads, FP8
// included, can be the source) and re-encoded by stored_dtype's rule; norms, the router and its
// bias are copied as stored. Throws Error if `in_dir` does not load or `out_dir` == `in_dir`.
QuantizeSummary write_quantized_checkpoint(const std::string& in_dir, const std::string& out_dir,
                                           const QuantizeOptions& options,
                                           const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace fathom
