// Generic kernels: portable C++, float32 accumulation. Also the reference for ISA kernels
// (tests/kernels compares every ISA against these).
#include <cmath>
#include <cstdlib>
#include <vector>

#include "core/dtype.h"
#include "kernels/generic/quant_linear.h"
#include "core/quant_format.h"
#include "kernels/quantize.h"
#include "kernels/row_kernels.h"

namespace fathom::generic {
namespace {

// Eight independent partial sums: lets the compiler vectorize without -ffast-math and keeps the
// rounding error close to a pairwise sum's.
float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float tail = 0.0f;
  for (; i < n; ++i) tail += a[i] * b[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
}

void dequantize_row(const MatrixRef& w, int64_t row, float* out) {
  const int64_t cols = w.cols;
  switch (w.dtype) {
    case DType::kF32: {
      const float* src = static_cast<const float*>(w.data) + row * cols;
      for (int64_t c = 0; c < cols; ++c) out[c] = src[c];
      return;
    }
    case DType::kBF16: {
      const uint16_t* src = static_cast<const uint16_t*>(w.data) + row * cols;
      for (int64_t c = 0; c < cols; ++c) out[c] = bf16_to_f32(src[c]);
      return;
    }
    case DType::kF16: {
      const uint16_t* src = static_cast<const uint16_t*>(w.data) + row * cols;
      for (int64_t c = 0; c < cols; ++c) out[c] = f16_to_f32(src[c]);
      return;
    }
    case DType::kF8E4M3: {
      // W[r, c] = fp8(code[r, c]) * scale_inv[r / block_rows, c / block_cols]
      // (DeepSeek-V3 inference/kernel.py weight_dequant).
      const uint8_t* src = static_cast<const uint8_t*>(w.data) + row * cols;
      const int64_t scale_cols = (cols + w.block_cols - 1) / w.block_cols;
      const float* scales =
          w.block_scales + ((row + w.scale_row_offset) / w.block_rows) * scale_cols;
      for (int64_t c0 = 0, block = 0; c0 < cols; c0 += w.block_cols, ++block) {
        const float scale = scales[block];
        const int64_t c1 = c0 + w.block_cols < cols ? c0 + w.block_cols : cols;
        for (int64_t c = c0; c < c1; ++c) out[c] = fp8_e4m3_to_f32(src[c]) * scale;
      }
      return;
    }
    case DType::kQ8_0:
    case DType::kQ4_0: {
      // value = code * scale of its group of 32 (core/quant_format.h); exact in float32.
      const uint8_t* src = static_cast<const uint8_t*>(w.data) + row * row_bytes(w.dtype, cols);
      const uint16_t* scales = w.group_scales + row * (cols / kQuantGroup);
      if (w.dtype == DType::kQ8_0) {
        dequantize_row_q8_0(reinterpret_cast<const int8_t*>(src), scales, cols, out);
      } else {
        dequantize_row_q4_0(src, scales, cols, out);
      }
      return;
    }
    default:
      break;
  }
  // Weights are bound through model/weights, which admits only the dtypes above.
  std::abort();
}

// Row r of w as float32: in place for F32 weights, else dequantized into `buffer`.
const float* row_f32(const MatrixRef& w, int64_t r, std::vector<float>& buffer) {
  if (w.dtype == DType::kF32) return static_cast<const float*>(w.data) + r * w.cols;
  buffer.resize(size_t(w.cols));
  dequantize_row(w, r, buffer.data());
  return buffer.data();
}

void linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                 int64_t r1) {
  if (is_group_quantized(w.dtype)) return linear_rows_quant(x, n, w, y, r0, r1);
  thread_local std::vector<float> row_buffer;
  for (int64_t r = r0; r < r1; ++r) {
    const float* wr = row_f32(w, r, row_buffer);
    for (int64_t t = 0; t < n; ++t) y[t * w.rows + r] = dot(x + t * w.cols, wr, w.cols);
  }
}

// Each y[t, c] accumulates over r in order, whatever the column range.
void linear_transposed_cols(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t c0,
                            int64_t c1) {
  thread_local std::vector<float> row_buffer;
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t c = c0; c < c1; ++c) y[t * w.cols + c] = 0.0f;
  }
  for (int64_t r = 0; r < w.rows; ++r) {
    const float* wr = row_f32(w, r, row_buffer);
    for (int64_t t = 0; t < n; ++t) {
      const float a = x[t * w.rows + r];
      float* yt = y + t * w.cols;
      for (int64_t c = c0; c < c1; ++c) yt[c] += a * wr[c];
    }
  }
}

void softmax(float* x, int64_t n) {
  float max_value = x[0];
  for (int64_t i = 1; i < n; ++i) max_value = x[i] > max_value ? x[i] : max_value;
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += (x[i] = std::exp(x[i] - max_value));
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  const float mean_square = dot(x, x, n) / float(n);
  const float inv = 1.0f / std::sqrt(mean_square + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * inv * weight[i];
}

}  // namespace

}  // namespace fathom::generic

namespace fathom::detail {
const RowKernels& generic_row_kernels() {
  static const RowKernels k{"generic",         generic::dequantize_row, generic::linear_rows,
                            generic::linear_transposed_cols, generic::dot, generic::softmax,
                            generic::rms_norm};
  return k;
}
}  // namespace fathom::detail
