#include "model/weight_encoding.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/quant_format.h"
#include "core/thread_pool.h"
#include "kernels/quantize.h"

namespace fathom {

std::optional<WeightFormat> weight_format_from_name(std::string_view name) {
  for (WeightFormat f : {WeightFormat::kF32, WeightFormat::kBF16, WeightFormat::kFp8,
                         WeightFormat::kQ8, WeightFormat::kQ4}) {
    if (name == weight_format_name(f)) return f;
  }
  return std::nullopt;
}

const char* weight_format_name(WeightFormat format) {
  switch (format) {
    case WeightFormat::kF32: return "f32";
    case WeightFormat::kBF16: return "bf16";
    case WeightFormat::kFp8: return "fp8";
    case WeightFormat::kQ8: return "q8";
    case WeightFormat::kQ4: return "q4";
  }
  return "?";
}

DType stored_dtype(TensorRole role, const std::vector<int64_t>& shape, WeightFormat format) {
  if (role == TensorRole::kRouterBias || format == WeightFormat::kF32) return DType::kF32;
  if (role == TensorRole::kRouter || role == TensorRole::kNorm) return DType::kBF16;
  switch (format) {
    case WeightFormat::kFp8: return role == TensorRole::kLinear ? DType::kF8E4M3 : DType::kBF16;
    case WeightFormat::kQ8:
    case WeightFormat::kQ4: {
      if (shape.size() != 2 || shape[1] % kQuantGroup != 0) return DType::kBF16;
      return format == WeightFormat::kQ4 && role == TensorRole::kLinear ? DType::kQ4_0 : DType::kQ8_0;
    }
    default: return DType::kBF16;
  }
}

void encode_rows(DType dtype, const float* rows, int64_t n, int64_t cols, std::vector<uint8_t>& codes,
                 std::vector<uint8_t>& scales) {
  const size_t code0 = codes.size(), scale0 = scales.size();
  const int64_t code_row = row_bytes(dtype, cols);
  codes.resize(code0 + size_t(n * code_row));
  uint8_t* out = codes.data() + code0;
  switch (dtype) {
    case DType::kF32:
      std::memcpy(out, rows, size_t(n * cols) * sizeof(float));
      return;
    case DType::kBF16:
      for (int64_t i = 0; i < n * cols; ++i) {
        const uint16_t b = f32_to_bf16(rows[i]);
        std::memcpy(out + 2 * i, &b, 2);
      }
      return;
    case DType::kQ8_0:
    case DType::kQ4_0: {
      const int64_t groups = cols / kQuantGroup;
      scales.resize(scale0 + size_t(n * groups) * 2);
      auto* scale_out = reinterpret_cast<uint16_t*>(scales.data() + scale0);
      // Q4_0's scale search is the slow part of `fathom quantize`: rows are independent.
      parallel_for(n, 1, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          if (dtype == DType::kQ8_0) {
            quantize_row_q8_0(rows + r * cols, cols, reinterpret_cast<int8_t*>(out + r * code_row),
                              scale_out + r * groups);
          } else {
            quantize_row_q4_0(rows + r * cols, cols, out + r * code_row, scale_out + r * groups);
          }
        }
      });
      return;
    }
    default:
      fail(ErrorKind::kInternal, std::string("encode_rows: cannot write ") + dtype_name(dtype));
  }
}

void encode_fp8_block_row(const float* rows, int64_t n, int64_t cols, int64_t block_cols,
                          std::vector<uint8_t>& codes, std::vector<float>& scales) {
  const size_t base = codes.size();
  codes.resize(base + size_t(n * cols));
  for (int64_t c0 = 0; c0 < cols; c0 += block_cols) {
    const int64_t c1 = std::min(cols, c0 + block_cols);
    float amax = 0.0f;
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = c0; c < c1; ++c) amax = std::max(amax, std::fabs(rows[r * cols + c]));
    }
    const float scale = std::max(amax, 1e-12f) / 448.0f;
    scales.push_back(scale);
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = c0; c < c1; ++c) codes[base + size_t(r * cols + c)] = f32_to_fp8_e4m3(rows[r * cols + c] / scale);
    }
  }
}

}  // namespace fathom
