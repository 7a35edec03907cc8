// The bf16 and FP8 training GEMMs (train/ops.h linear_forward / linear_backward) on the CPU's
// bf16 dot-product units (kernels/bf16_gemm.h), where it has them: operands are rounded to bf16
// or quantized to E4M3 with their tile scales (fp8_quant.h), packed, and multiplied exactly in
// pairs with fp32 sums; FP8 partial sums are promoted with their scales every 128 products
// (DeepSeek-V3 report §3.3.2). Same values as ops.cpp's fallback (dequantized operands through
// the fp32 kernels), up to fp32 summation order and where the scales are applied.
#pragma once

#include <cstdint>

#include "train/gemm_precision.h"

namespace fathom::train_ops {

// Whether the functions below may be called (bf16_gemm_available()).
bool gemm_on_bf16_units_available();

// y[n, out] = x[n, in] · w[out, in]ᵀ
void bf16_unit_forward(const float* x, int64_t n, const float* w, int64_t out, int64_t in,
                       float* y, GemmPrecision precision);
// dx[n, in] (+)= dy[n, out] · w[out, in]
void bf16_unit_dgrad(const float* dy, int64_t n, const float* w, int64_t out, int64_t in,
                     float* dx, bool accumulate_dx, GemmPrecision precision);
// g[out, in] += dy[n, out]ᵀ · x[n, in]
void bf16_unit_wgrad(const float* x, const float* dy, int64_t n, int64_t out, int64_t in,
                     float* g, GemmPrecision precision);

}  // namespace fathom::train_ops
