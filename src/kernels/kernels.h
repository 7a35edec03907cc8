// The kernel table (STYLE.md §4): plain function pointers, one implementation set per ISA level
// (generic/, avx2/, avx512/), chosen once per process (kernels/isa.h: best supported level, or
// FATHOM_ISA). The linear kernels split output rows across the thread pool (core/thread_pool.h);
// results do not depend on the thread count. Generic is the reference the others are tested
// against.
#pragma once

#include <cstdint>

#include "kernels/isa.h"
#include "kernels/matrix.h"

namespace fathom {

struct KernelTable {
  const char* isa;
  // out[cols] = row `row` of w, dequantized to float32 (FP8: code * its block's scale_inv;
  // Q8_0/Q4_0: code * its group's scale, exactly).
  void (*dequantize_row)(const MatrixRef& w, int64_t row, float* out);
  // y[n, w.rows] = x[n, w.cols] · wᵀ, float32 accumulation; weights dequantized on the fly.
  // Q8_0/Q4_0 weights: x is quantized too, per token and group of 32 to int8 with a float32
  // scale (kernels/quantize.h quantize_activation_q8, llama.cpp's q8_0 activations), and each
  // group's dot is an exact integer (generic/quant_linear.cpp). avx512 with VNNI runs n ≥ 8 on a
  // repacked layout whose float summation order differs from n < 8's: a token's outputs may
  // differ in the last bits between calls with fewer and more than 8 tokens.
  void (*linear)(const float* x, int64_t n, const MatrixRef& w, float* y);
  // y[n, w.cols] = x[n, w.rows] · w (the weight untransposed: input gradients, and weight
  // absorption, where a head's kv_b_proj rows map a query into the latent space).
  void (*linear_transposed)(const float* x, int64_t n, const MatrixRef& w, float* y);
  float (*dot)(const float* a, const float* b, int64_t n);
  // x[i] = exp(x[i] - max x) / Σ exp(x[j] - max x), in place.
  void (*softmax)(float* x, int64_t n);
  // out[i] = x[i] / sqrt(mean(x²) + eps) * weight[i]  (Zhang & Sennrich 2019, RMSNorm)
  void (*rms_norm)(const float* x, const float* weight, int64_t n, float eps, float* out);
};

// The table for this process: kernels_for(selected_isa()), chosen on first call. Throws Error if
// FATHOM_ISA names an unknown level or one this CPU/OS lacks.
const KernelTable& kernels();

}  // namespace fathom
