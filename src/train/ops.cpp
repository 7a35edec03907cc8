#include "train/ops.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"
#include "train/bf16_unit_gemm.h"
#include "train/fp8_quant.h"

namespace fathom::train_ops {

namespace {

// Rows per grain for row-wise ops, and the tile edge of the blocked transposes (32 x 32 floats:
// 4 KiB in, 4 KiB out, both in L1).
constexpr int64_t kRowGrain = 8;
constexpr int64_t kTile = 32;

// 4-float vectors (GCC/Clang vector extensions, baseline SSE2 code: no ISA intrinsics outside
// src/kernels) for the 4x4 register transposes below, 2-2.5x faster than element copies.
typedef float F4 __attribute__((vector_size(16)));
typedef int I4 __attribute__((vector_size(16)));
inline F4 load4(const float* p) {
  F4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store4(float* p, F4 v) { std::memcpy(p, &v, sizeof v); }
template <int A, int B, int C, int D>
inline F4 shuffle(F4 x, F4 y) {  // lanes 0-3 of x, 4-7 of y
#if defined(__clang__)
  return __builtin_shufflevector(x, y, A, B, C, D);
#else
  return __builtin_shuffle(x, y, I4{A, B, C, D});
#endif
}

// dst[c, r] (+)= a[r, c] for a [rows, cols], in kTile x kTile tiles split over tiles of
// destination rows; within a tile, 4x4 blocks down each group of 4 destination rows, so every
// destination row is written as one contiguous run.
template <bool kAccumulate>
void transpose_impl(const float* a, int64_t rows, int64_t cols, float* dst) {
  auto one = [&](int64_t r, int64_t c) {
    if constexpr (kAccumulate) {
      dst[c * rows + r] += a[r * cols + c];
    } else {
      dst[c * rows + r] = a[r * cols + c];
    }
  };
  parallel_for_if(rows * cols, (cols + kTile - 1) / kTile, 1, [&](int64_t b0, int64_t b1) {
    const int64_t c_end = std::min(b1 * kTile, cols);
    for (int64_t c0 = b0 * kTile; c0 < c_end; c0 += kTile) {
      const int64_t c1 = std::min(c0 + kTile, cols), c4 = c0 + (c1 - c0) / 4 * 4;
      for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
        const int64_t r1 = std::min(r0 + kTile, rows), r4 = r0 + (r1 - r0) / 4 * 4;
        for (int64_t c = c0; c < c4; c += 4) {
          for (int64_t r = r0; r < r4; r += 4) {
            const F4 x0 = load4(a + r * cols + c), x1 = load4(a + (r + 1) * cols + c),
                     x2 = load4(a + (r + 2) * cols + c), x3 = load4(a + (r + 3) * cols + c);
            const F4 t0 = shuffle<0, 4, 1, 5>(x0, x1), t1 = shuffle<0, 4, 1, 5>(x2, x3);
            const F4 t2 = shuffle<2, 6, 3, 7>(x0, x1), t3 = shuffle<2, 6, 3, 7>(x2, x3);
            F4 y[4] = {shuffle<0, 1, 4, 5>(t0, t1), shuffle<2, 3, 6, 7>(t0, t1),
                       shuffle<0, 1, 4, 5>(t2, t3), shuffle<2, 3, 6, 7>(t2, t3)};
            for (int i = 0; i < 4; ++i) {
              float* out = dst + (c + i) * rows + r;
              if constexpr (kAccumulate) y[i] += load4(out);
              store4(out, y[i]);
            }
          }
          for (int64_t r = r4; r < r1; ++r) {
            for (int64_t i = c; i < c + 4; ++i) one(r, i);
          }
        }
        for (int64_t c = c4; c < c1; ++c) {
          for (int64_t r = r0; r < r1; ++r) one(r, c);
        }
      }
    }
  });
}

// Per-thread scratch of the weight-gradient product, grown to the largest call and then reused.
struct LinearScratch {
  std::vector<float> t, dw;
};

float* grown(std::vector<float>& v, int64_t size) {
  if (int64_t(v.size()) < size) v.resize(size_t(size));
  return v.data();
}

}  // namespace

void add_inplace(float* y, const float* x, int64_t count) {
  parallel_for_if(count, count, 4096, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] += x[i];
  });
}

void add(const float* a, const float* b, int64_t count, float* y) {
  parallel_for_if(count, count, 4096, [&](int64_t b0, int64_t e) {
    for (int64_t i = b0; i < e; ++i) y[i] = a[i] + b[i];
  });
}

void transpose(const float* a, int64_t rows, int64_t cols, float* at) {
  transpose_impl<false>(a, rows, cols, at);
}

namespace {

// y[n, out] = x[n, in] · w[out, in]ᵀ on plain fp32 arrays.
void linear_forward_f32(const float* x, int64_t n, const float* w, int64_t out, int64_t in,
                        float* y) {
  // On training shapes (hundreds of rows, K of 64..768) linear_transposed on Wᵀ runs 1.5-3x
  // faster than linear on W (1 thread, Zen 5, bench/train shapes: kv_b 69 -> 224, q_b 103 ->
  // 231, dense up 141 -> 225 GFLOP/s), which pays for transposing W on every call (~0.1 ns per
  // weight) once n reaches a few dozen rows. Not for outputs beyond L2 (an lm_head's [n, vocab]:
  // 142 -> 127 GFLOP/s), whose panels linear_transposed revisits once per 32 rows of K.
  // Transposing per call keeps no copy that could go stale when the optimizer updates W.
  constexpr int64_t kMinRowsForTransposed = 48, kMaxOutputForTransposed = int64_t(1) << 20;
  if (n < kMinRowsForTransposed || n * out > kMaxOutputForTransposed) {
    return kernels().linear(x, n, f32_matrix(w, out, in), y);
  }
  thread_local std::vector<float> w_t;
  float* wt = grown(w_t, in * out);
  transpose(w, out, in, wt);
  kernels().linear_transposed(x, n, f32_matrix(wt, in, out), y);
}

// dx[n, in] (+)= dy[n, out] · w[out, in]
void linear_dgrad_f32(const float* dy, int64_t n, const float* w, int64_t out, int64_t in,
                      float* dx, bool accumulate_dx) {
  if (accumulate_dx) {
    thread_local std::vector<float> dx_tmp;
    float* tmp = grown(dx_tmp, n * in);
    kernels().linear_transposed(dy, n, f32_matrix(w, out, in), tmp);
    add_inplace(dx, tmp, n * in);
  } else {
    kernels().linear_transposed(dy, n, f32_matrix(w, out, in), dx);
  }
}

// g[out, in] += dy[n, out]ᵀ · x[n, in]
void linear_wgrad_f32(const float* x, const float* dy, int64_t n, int64_t out, int64_t in,
                      float* g) {
  // dW[out, in] += dyᵀ · x, a product over the token axis, which is the row axis of both
  // operands: linear_transposed reduces over its weight's rows but wants the other operand
  // transposed. Two orders:
  //   dW  = dyᵀ[out, n] · x[n, in]    x as the weight; transposes dy
  //   dWᵀ = xᵀ[in, n] · dy[n, out]    dy as the weight; transposes x, adds the result transposed
  // Measured on the bench shapes (1 thread): the first wins when out <= in, and when dy is too
  // big for L2 (an lm_head's [n, vocab]: 185 vs 115 GFLOP/s); the second when out > in
  // (dense up/gate, kv_b, o_proj: 190-220 vs 120-200 GFLOP/s).
  thread_local LinearScratch s;
  if (out <= in || n * out > (int64_t(1) << 20)) {
    float* dy_t = grown(s.t, out * n);
    float* dw = grown(s.dw, out * in);
    transpose(dy, n, out, dy_t);
    kernels().linear_transposed(dy_t, out, f32_matrix(x, n, in), dw);
    add_inplace(g, dw, out * in);
  } else {
    float* x_t = grown(s.t, in * n);
    float* dw_t = grown(s.dw, in * out);
    transpose(x, n, in, x_t);
    kernels().linear_transposed(x_t, in, f32_matrix(dy, n, out), dw_t);
    transpose_impl<true>(dw_t, in, out, g);
  }
}

// Per-thread rounded copies of GEMM operands, grown to the largest call and then reused.
struct RoundedOperands {
  std::vector<float> a, b, c;
};

// src[rows, cols] as the GEMM will see it under `precision` (not kF32), written to buf.
const float* rounded(const float* src, int64_t rows, int64_t cols, GemmPrecision precision,
                     fp8::TileShape tile, std::vector<float>& buf) {
  float* dst = grown(buf, rows * cols);
  if (precision == GemmPrecision::kBF16) {
    fp8::round_bf16(src, rows * cols, dst);
  } else {
    fp8::quantize_dequantize(src, rows, cols, tile, dst);
  }
  return dst;
}

}  // namespace

namespace {

std::atomic<int64_t> g_gemm_nanoseconds{0}, g_gemm_flops{0};
// Calls in progress on any thread, and when the current busy interval began: the tally counts
// the wall time during which at least one GEMM runs, so experts multiplied in parallel on
// several threads count once.
std::atomic<int> g_gemm_active{0};
std::atomic<int64_t> g_gemm_busy_since{0};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Adds `flops` and the enclosing call's share of busy wall time to the tally.
class TallyScope {
 public:
  explicit TallyScope(int64_t flops) {
    g_gemm_flops.fetch_add(flops, std::memory_order_relaxed);
    if (g_gemm_active.fetch_add(1) == 0) g_gemm_busy_since.store(now_ns());
  }
  ~TallyScope() {
    // Read before leaving: the interval's start cannot change while this call is active.
    const int64_t since = g_gemm_busy_since.load();
    if (g_gemm_active.fetch_sub(1) == 1) g_gemm_nanoseconds.fetch_add(now_ns() - since);
  }
  TallyScope(const TallyScope&) = delete;
  TallyScope& operator=(const TallyScope&) = delete;
};

}  // namespace

GemmTally gemm_tally() {
  return GemmTally{1e-9 * double(g_gemm_nanoseconds.load(std::memory_order_relaxed)),
                   double(g_gemm_flops.load(std::memory_order_relaxed))};
}

void reset_gemm_tally() {
  g_gemm_nanoseconds.store(0, std::memory_order_relaxed);
  g_gemm_flops.store(0, std::memory_order_relaxed);
}

void linear_forward(const float* x, int64_t n, const Param& w, float* y,
                    GemmPrecision precision) {
  const int64_t out = w.shape[0], in = w.shape[1];
  const TallyScope tally(2 * n * out * in);
  if (precision == GemmPrecision::kF32) {
    return linear_forward_f32(x, n, w.value.data(), out, in, y);
  }
  if (gemm_on_bf16_units_available()) {
    return bf16_unit_forward(x, n, w.value.data(), out, in, y, precision);
  }
  thread_local RoundedOperands r;
  const float* xq = rounded(x, n, in, precision, fp8::kActivationTile, r.a);
  const float* wq = rounded(w.value.data(), out, in, precision, fp8::kWeightBlock, r.b);
  linear_forward_f32(xq, n, wq, out, in, y);
}

void linear_backward(const float* x, const float* dy, int64_t n, Param& w, float* dx,
                     bool accumulate_dx, GemmPrecision precision) {
  if (n <= 0) return;
  const int64_t out = w.shape[0], in = w.shape[1];
  const TallyScope tally((dx != nullptr ? 4 : 2) * n * out * in);
  if (precision == GemmPrecision::kF32) {
    if (dx != nullptr) linear_dgrad_f32(dy, n, w.value.data(), out, in, dx, accumulate_dx);
    linear_wgrad_f32(x, dy, n, out, in, w.grad.data());
    return;
  }
  if (gemm_on_bf16_units_available()) {
    if (dx != nullptr) {
      bf16_unit_dgrad(dy, n, w.value.data(), out, in, dx, accumulate_dx, precision);
    }
    return bf16_unit_wgrad(x, dy, n, out, in, w.grad.data(), precision);
  }
  // Without bf16 units: the rounded operands through the fp32 kernels.
  thread_local RoundedOperands r;
  // bf16 rounding is per element, so one rounded dy serves both products; FP8 tiles differ
  // (dgrad reduces over `out`, wgrad over tokens; report §3.3.2).
  const bool is_fp8 = precision == GemmPrecision::kFP8;
  const float* dy_rows = nullptr;
  if (dx != nullptr || !is_fp8) {
    dy_rows = rounded(dy, n, out, precision, fp8::kActivationTile, r.a);
  }
  if (dx != nullptr) {
    const float* wq = rounded(w.value.data(), out, in, precision, fp8::kWeightBlock, r.b);
    linear_dgrad_f32(dy_rows, n, wq, out, in, dx, accumulate_dx);
  }
  const float* dy_cols = is_fp8 ? rounded(dy, n, out, precision, fp8::kTokenTile, r.a) : dy_rows;
  const float* xq = rounded(x, n, in, precision, fp8::kTokenTile, r.c);
  linear_wgrad_f32(xq, dy_cols, n, out, in, w.grad.data());
}

void rms_norm_forward(const float* x, int64_t n, int64_t d, const Param& w, float eps, float* y,
                      float* rstd, int64_t x_stride) {
  if (x_stride == 0) x_stride = d;
  const float* wv = w.value.data();
  parallel_for_if(n * d, n, kRowGrain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const float* xt = x + t * x_stride;
      const float r = 1.0f / std::sqrt(kernels().dot(xt, xt, d) / float(d) + eps);
      rstd[t] = r;
      float* yt = y + t * d;
      for (int64_t i = 0; i < d; ++i) yt[i] = xt[i] * r * wv[i];
    }
  });
}

void rms_norm_backward_accum(const float* x, const float* rstd, const float* dy, int64_t n,
                             int64_t d, Param& w, float* dx, int64_t x_stride) {
  if (x_stride == 0) x_stride = d;
  const float* wv = w.value.data();
  // dx: rows are independent.
  parallel_for_if(n * d, n, kRowGrain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const float* xt = x + t * x_stride;
      const float* gt = dy + t * d;
      const float r = rstd[t];
      float dot_gwx = 0.0f;  // Σ_j dy_j w_j x_j
      for (int64_t i = 0; i < d; ++i) dot_gwx += gt[i] * wv[i] * xt[i];
      const float c = r * r * r / float(d) * dot_gwx;
      float* dxt = dx + t * x_stride;
      for (int64_t i = 0; i < d; ++i) dxt[i] += r * gt[i] * wv[i] - xt[i] * c;
    }
  });
  // dw: a reduction over rows, split by column so each sum runs in row order on one thread.
  float* gw = w.grad.data();
  parallel_for_if(n * d, d, 64, [&](int64_t c0, int64_t c1) {
    for (int64_t t = 0; t < n; ++t) {
      const float* xt = x + t * x_stride;
      const float* gt = dy + t * d;
      const float r = rstd[t];
      for (int64_t i = c0; i < c1; ++i) gw[i] += gt[i] * xt[i] * r;
    }
  });
}

namespace {
inline float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }
}  // namespace

void swiglu_forward(const float* g, const float* u, int64_t count, float* h) {
  parallel_for_if(count * 8, count, 1024, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) h[i] = g[i] * sigmoid(g[i]) * u[i];
  });
}

void swiglu_backward(const float* g, const float* u, const float* dh, int64_t count, float* dg,
                     float* du) {
  parallel_for_if(count * 8, count, 1024, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float s = sigmoid(g[i]);
      du[i] = dh[i] * g[i] * s;
      dg[i] = dh[i] * u[i] * s * (1.0f + g[i] * (1.0f - s));
    }
  });
}

void rope_backward_inplace(float* dy, int64_t pos, const RopeTables& rope) {
  for (size_t i = 0; i < rope.inv_freq.size(); ++i) {
    // Same angle arithmetic as apply_rope_interleaved (double phase), transposed rotation.
    const double angle = double(pos) * double(rope.inv_freq[i]);
    const float cos = float(std::cos(angle) * rope.cos_sin_scale);
    const float sin = float(std::sin(angle) * rope.cos_sin_scale);
    const float even = dy[2 * i], odd = dy[2 * i + 1];
    dy[2 * i] = even * cos + odd * sin;
    dy[2 * i + 1] = -even * sin + odd * cos;
  }
}

RopeCache::RopeCache(const RopeTables& rope, int64_t positions)
    : pairs(int64_t(rope.inv_freq.size())) {
  cos.resize(size_t(positions * pairs));
  sin.resize(size_t(positions * pairs));
  for (int64_t pos = 0; pos < positions; ++pos) {
    for (int64_t i = 0; i < pairs; ++i) {
      const double angle = double(pos) * double(rope.inv_freq[size_t(i)]);
      cos[size_t(pos * pairs + i)] = float(std::cos(angle) * rope.cos_sin_scale);
      sin[size_t(pos * pairs + i)] = float(std::sin(angle) * rope.cos_sin_scale);
    }
  }
}

void RopeCache::rotate(float* x, int64_t pos) const {
  const float* c = &cos[size_t(pos * pairs)];
  const float* s = &sin[size_t(pos * pairs)];
  for (int64_t i = 0; i < pairs; ++i) {
    const float even = x[2 * i], odd = x[2 * i + 1];
    x[2 * i] = even * c[i] - odd * s[i];
    x[2 * i + 1] = even * s[i] + odd * c[i];
  }
}

void RopeCache::rotate_back(float* dy, int64_t pos) const {
  const float* c = &cos[size_t(pos * pairs)];
  const float* s = &sin[size_t(pos * pairs)];
  for (int64_t i = 0; i < pairs; ++i) {
    const float even = dy[2 * i], odd = dy[2 * i + 1];
    dy[2 * i] = even * c[i] + odd * s[i];
    dy[2 * i + 1] = -even * s[i] + odd * c[i];
  }
}

double cross_entropy_forward_backward(const float* logits, const int32_t* targets, int64_t n,
                                      int64_t vocab, float scale, float* dlogits) {
  thread_local std::vector<double> row_loss;
  if (int64_t(row_loss.size()) < n) row_loss.resize(size_t(n));
  double* losses = row_loss.data();
  parallel_for_if(n * vocab, n, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const float* z = logits + t * vocab;
      float* dz = dlogits + t * vocab;
      std::copy(z, z + vocab, dz);
      kernels().softmax(dz, vocab);  // p = softmax(z), the kernel's vectorised exp
      const float p_target = dz[targets[t]];
      if (p_target > 1e-30f) {
        losses[t] = -std::log(double(p_target));
      } else {  // p underflows float: −log p = log Σ exp(z − max) − (z_target − max), in double
        const float max_z = *std::max_element(z, z + vocab);
        double sum = 0.0;
        for (int64_t v = 0; v < vocab; ++v) sum += std::exp(double(z[v] - max_z));
        losses[t] = std::log(sum) - double(z[targets[t]] - max_z);
      }
      for (int64_t v = 0; v < vocab; ++v) dz[v] *= scale;
      dz[targets[t]] -= scale;
    }
  });
  double total = 0.0;
  for (int64_t t = 0; t < n; ++t) total += losses[t];
  return total;
}

}  // namespace fathom::train_ops
