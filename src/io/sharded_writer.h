// Writes a checkpoint directory in the Hugging Face layout without holding it in memory:
// tensors are planned up front (so every header and the index are known), then each tensor's
// bytes are streamed into its shard by a caller-supplied filler, one tensor at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace fathom {

struct PlannedTensor {
  std::string name;
  DType dtype;  // kQ8_0/kQ4_0 write their codes as I8/U8 plus a header entry (core/quant_format.h)
  std::vector<int64_t> shape;
  uint64_t bytes() const;
};

// Receives a tensor's bytes in order; the total must equal the tensor's size.
class ByteSink {
 public:
  explicit ByteSink(std::FILE* file, const std::string& path) : file_(file), path_(path) {}
  void write(const void* data, size_t size);
  uint64_t written() const { return written_; }

 private:
  std::FILE* file_;
  const std::string& path_;
  uint64_t written_ = 0;
};

using TensorFiller = std::function<void(const PlannedTensor&, ByteSink&)>;

// Writes `tensors` (in this order) into DIR/model.safetensors, or, when they exceed
// `shard_bytes`, into model-0000k-of-0000N.safetensors plus model.safetensors.index.json.
// Returns the shard file names.
std::vector<std::string> write_sharded_checkpoint(const std::string& dir,
                                                  const std::vector<PlannedTensor>& tensors,
                                                  uint64_t shard_bytes, const TensorFiller& fill,
                                                  const std::function<void(uint64_t done, uint64_t total)>& progress = {});

}  // namespace fathom
