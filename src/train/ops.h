// Forward/backward pairs for the elementwise and matrix ops of the DeepSeek architecture, in
// llm.c's style: plain arrays, explicit sizes, the forward saves nothing (the caller keeps what
// the backward needs), backward functions ACCUMULATE into parameter gradients and (where named
// `d*_accum`) into input gradients, so residual branches and tied weights just add up.
// Matmuls go through the kernel table (fp32 accumulation); the other ops split large inputs
// across the thread pool (core/thread_pool.h) so that every output element is computed by one
// thread in a fixed order: results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "model/rope.h"
#include "train/gemm_precision.h"
#include "train/params.h"

namespace fathom::train_ops {

// Below this many elements of work an op runs on the calling thread: waking the pool costs about
// a microsecond, roughly the time of 10^4 simple float operations.
constexpr int64_t kMinParallelElements = int64_t(1) << 14;

// parallel_for(n, grain, f) when `work` (elements touched) is worth waking the pool for, else
// f(0, n) inline.
template <typename F>
void parallel_for_if(int64_t work, int64_t n, int64_t grain, F&& f) {
  if (work < kMinParallelElements) {
    if (n > 0) f(int64_t(0), n);
    return;
  }
  parallel_for(n, grain, f);
}

// y[i] += x[i]
void add_inplace(float* y, const float* x, int64_t count);
// y[i] = a[i] + b[i]
void add(const float* a, const float* b, int64_t count, float* y);
// at[c, r] = a[r, c] for a [rows, cols]
void transpose(const float* a, int64_t rows, int64_t cols, float* at);

// y[n, out] = x[n, in] · Wᵀ
// With a precision other than kF32 the GEMM multiplies rounded copies of its inputs
// (gemm_precision.h; DeepSeek-V3 report §3.3): bf16, or E4M3 with x scaled per 1x128 tile along
// `in` and W per 128x128 block. Where the CPU has AVX-512 BF16 the rounded values run on the
// bf16 dot-product units and E4M3 partial sums are promoted to fp32 with their scales every 128
// products, as the report's FP8 GEMM does (bf16_unit_gemm.h); elsewhere the dequantized values
// run through the fp32 kernels. Products are exact either way (e4m3·e4m3 and bf16·bf16 fit fp32);
// the two paths differ only in fp32 summation order and where the scales are applied.
void linear_forward(const float* x, int64_t n, const Param& w, float* y,
                    GemmPrecision precision = GemmPrecision::kF32);
// dx[n, in] (+)= dy · W;  dW[out, in] += dyᵀ · x.   dx may be null (input needs no gradient).
// kFP8: dgrad quantizes dy per 1x128 tile along `out` (its K) and W per 128x128 block; wgrad
// quantizes dy and x per 128x1 tile along the token axis (its K). kBF16 rounds dy, W and x.
void linear_backward(const float* x, const float* dy, int64_t n, Param& w, float* dx,
                     bool accumulate_dx, GemmPrecision precision = GemmPrecision::kF32);

// Time spent in linear_forward / linear_backward (operand rounding, packing and transposes
// included) and the FLOPs they did (2 per multiply-add), summed over every call since the last
// reset: the matmul share of a training step, for bench_train's fraction of peak.
struct GemmTally {
  double seconds = 0, flops = 0;
};
GemmTally gemm_tally();
void reset_gemm_tally();

// RMSNorm (Zhang & Sennrich 2019): y = x · r · w with r = (mean(x²) + eps)^-1/2, per row of
// width d. rstd[n] receives r (saved for the backward). Rows of x start x_stride floats apart
// (0: d, contiguous); y is contiguous [n, d].
void rms_norm_forward(const float* x, int64_t n, int64_t d, const Param& w, float eps, float* y,
                      float* rstd, int64_t x_stride = 0);
// dw += Σ_rows dy·x·r;  dx += r·(dy·w) − x·r³/d · Σ_j dy_j w_j x_j.  dy is contiguous [n, d];
// x and dx rows are x_stride floats apart (0: d).
void rms_norm_backward_accum(const float* x, const float* rstd, const float* dy, int64_t n,
                             int64_t d, Param& w, float* dx, int64_t x_stride = 0);

// SwiGLU (Shazeer 2020): h = silu(g) · u, silu(g) = g·σ(g).
void swiglu_forward(const float* g, const float* u, int64_t count, float* h);
// dg = dh·u·σ(g)(1 + g(1 − σ(g))), du = dh·silu(g)   (overwrite).
void swiglu_backward(const float* g, const float* u, const float* dh, int64_t count, float* dg,
                     float* du);

// Interleaved RoPE at position pos (model/rope.h): y = c·R(pos)·x on adjacent pairs. The
// backward of a scaled rotation is the scaled inverse rotation: dx = c·R(−pos)·dy (in place).
void rope_backward_inplace(float* dy, int64_t pos, const RopeTables& rope);

// cos/sin of every position's rope angles, computed once with apply_rope_interleaved's
// arithmetic (double phase, then the float rounding of c·cos and c·sin), so the table-driven
// rotations below give the same floats without a cos/sin per call.
struct RopeCache {
  int64_t pairs = 0;
  std::vector<float> cos, sin;  // [positions, pairs]
  RopeCache(const RopeTables& rope, int64_t positions);
  // x ← c·R(pos)·x  (apply_rope_interleaved)
  void rotate(float* x, int64_t pos) const;
  // dy ← c·R(−pos)·dy  (rope_backward_inplace)
  void rotate_back(float* dy, int64_t pos) const;
};

// Mean cross entropy over n rows of logits[n, vocab] against targets[n]; returns Σ −log p
// (caller divides). dlogits = scale · (softmax − onehot) (overwrites logits' gradient buffer).
double cross_entropy_forward_backward(const float* logits, const int32_t* targets, int64_t n,
                                      int64_t vocab, float scale, float* dlogits);

}  // namespace fathom::train_ops
