// The reference for y = x·Wᵀ with Q8_0/Q4_0 weights (core/quant_format.h), which every SIMD set
// must reproduce up to float summation order:
//   1. each token row of x is quantized per group of 32 (quantize_activation_q8: int8 codes, a
//      float32 scale d_x), the activation side of llama.cpp's Q8_0 × Q8_0 / Q4_0 × Q8_0 dots;
//   2. each group's dot product of weight codes and activation codes is an exact int32
//      (|Σ| ≤ 32·127·127 < 2^24, so it also converts to float exactly);
//   3. y[t, r] = Σ_g float(dot_g) · (d_w,g · d_x,g), summed over g in order, starting from 0.
// The SIMD sets get the same int32 per group by other algebra (offset or sign tricks) and the
// same float term per group; only how the terms are added (lanes, a tree, FMA) differs.
#include "kernels/generic/quant_linear.h"

#include <vector>

#include "core/dtype.h"
#include "core/quant_format.h"
#include "kernels/quantize.h"

namespace fathom::generic {
namespace {

constexpr int kGroup = int(kQuantGroup);

// Σ code_w · code_x over one group; Q4_0 weight value = nibble - 8 (quant_format.h layout).
int32_t group_dot_q8(const int8_t* w, const int8_t* x) {
  int32_t s = 0;
  for (int i = 0; i < kGroup; ++i) s += int32_t(w[i]) * int32_t(x[i]);
  return s;
}
int32_t group_dot_q4(const uint8_t* w, const int8_t* x) {
  int32_t s = 0;
  for (int j = 0; j < kGroup / 2; ++j) {
    s += (int32_t(w[j] & 0xf) - 8) * int32_t(x[j]);
    s += (int32_t(w[j] >> 4) - 8) * int32_t(x[j + kGroup / 2]);
  }
  return s;
}

}  // namespace

void linear_rows_quant(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                       int64_t r1) {
  const int64_t groups = w.cols / kQuantGroup;
  thread_local std::vector<int8_t> codes;
  thread_local std::vector<float> x_scales, w_scales;
  codes.resize(size_t(n * w.cols));
  x_scales.resize(size_t(n * groups));
  w_scales.resize(size_t(groups));
  for (int64_t t = 0; t < n; ++t) {
    quantize_activation_q8(x + t * w.cols, w.cols, &codes[size_t(t * w.cols)],
                           &x_scales[size_t(t * groups)]);
  }
  const bool q4 = w.dtype == DType::kQ4_0;
  const int64_t stride = row_bytes(w.dtype, w.cols);
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = static_cast<const uint8_t*>(w.data) + r * stride;
    for (int64_t g = 0; g < groups; ++g)
      w_scales[size_t(g)] = f16_to_f32(w.group_scales[r * groups + g]);
    for (int64_t t = 0; t < n; ++t) {
      const int8_t* xt = &codes[size_t(t * w.cols)];
      const float* dx = &x_scales[size_t(t * groups)];
      float acc = 0.0f;
      for (int64_t g = 0; g < groups; ++g) {
        const int32_t dot =
            q4 ? group_dot_q4(row + g * (kGroup / 2), xt + g * kGroup)
               : group_dot_q8(reinterpret_cast<const int8_t*>(row) + g * kGroup, xt + g * kGroup);
        acc += float(dot) * (w_scales[size_t(g)] * dx[g]);
      }
      y[t * w.rows + r] = acc;
    }
  }
}

}  // namespace fathom::generic
