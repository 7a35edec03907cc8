// Which stored dtype each tensor of a checkpoint gets for a target weight format, and the
// row encoder that produces its bytes — shared by `fathom quantize` (from a real checkpoint)
// and `fathom synth` (from random values), so both write the same layout.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "model/tensor_list.h"

namespace fathom {

enum class WeightFormat { kF32, kBF16, kFp8, kQ8, kQ4 };

// "f32", "bf16", "fp8", "q8", "q4"; nullopt otherwise.
std::optional<WeightFormat> weight_format_from_name(std::string_view name);
const char* weight_format_name(WeightFormat format);

// The stored dtype of a tensor with `role` and `shape` in `format` (as the DeepSeek-V3 release
// stores them: the router bias float32, norms and the router bf16; everything float32 for kF32).
// The router is never quantized: routing decisions are the part of an MoE most sensitive to
// rounding. kQ8 stores every other matrix as Q8_0; kQ4 stores the attention and
// MLP projections as Q4_0 and the embedding, output head and MTP eh_proj as Q8_0 (as llama.cpp's
// 4-bit mixes keep the output layer at higher precision). A matrix whose column count is not a
// multiple of the 32-value group falls back to bf16. kFp8 uses F8_E4M3 for projections only
// (the DeepSeek-V3 release's choice).
DType stored_dtype(TensorRole role, const std::vector<int64_t>& shape, WeightFormat format);

// Encodes n rows of `cols` floats as `dtype` (F32, BF16, Q8_0, Q4_0): codes are appended to
// `codes`, Q8_0/Q4_0 float16 group scales to `scales` (little-endian bytes).
void encode_rows(DType dtype, const float* rows, int64_t n, int64_t cols, std::vector<uint8_t>& codes,
                 std::vector<uint8_t>& scales);

// FP8 E4M3 the DeepSeek-V3 release's way: n <= block_rows rows (one row of scale blocks) of `cols`
// floats, one float32 scale_inv = block amax / 448 per block_cols columns appended to `scales`,
// codes (value / scale_inv, rounded to nearest e4m3) appended to `codes`.
void encode_fp8_block_row(const float* rows, int64_t n, int64_t cols, int64_t block_cols,
                          std::vector<uint8_t>& codes, std::vector<float>& scales);

}  // namespace fathom
