// The SIMD kernels, written once against a vector type V (avx2/vec.h: 8 lanes, avx512/vec.h: 16)
// and compiled once per ISA: avx2/kernels.cpp and avx512/kernels.cpp include this file inside
// their own namespace, after V and the register-tile sizes. Plain loops and intrinsics only: no
// standard-library templates or header inline functions, whose out-of-line copies the linker
// could share with baseline code.
//
// Numerics (the tests in tests/kernels derive their tolerances from this):
//  * Weights are widened in registers, never into a copy of the matrix. BF16/F16 widening is
//    exact; FP8 E4M3 decodes exactly to value/256 (see vec.h) and is multiplied by its block's
//    scale_inv*256, giving the same float as generic's fp8(code) * scale_inv.
//  * linear: y[t, r] is one vector accumulator per (t, r) over column chunks in order (FMA),
//    then a fixed horizontal tree; the tile a (t, r) pair falls in never changes its arithmetic,
//    so any split of rows across threads gives identical bits.
//  * linear_transposed: y[t, c] accumulates over rows in order with FMA, lane-wise.
//
//  * Q8_0/Q4_0: see simd/quant_impl.h (dequantize_row, linear_transposed) and simd/qdot_impl.h
//    (linear, integer dot products, compiled in its own translation units).
//
// Expects in the enclosing namespace: struct V; kDecodeRows[5] (rows per tile when n = 1..4),
// kPrefillRows (rows per tile for 4-token tiles), kTransposedChunks[5] (vector chunks of columns
// per tile for 1..4 tokens); quant_linear_rows(x, n, w, y, r0, r1), this ISA's linear_rows for
// Q8_0/Q4_0 weights.
// The including file includes <immintrin.h>, <cstdint>, <cstdlib>, core/dtype.h and
// kernels/matrix.h before opening its namespace.

constexpr int W = V::kLanes;
using Reg = V::Reg;

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

#include "kernels/simd/quant_impl.h"

// Weight element loaders. kScaled: FP8, whose vectors still need the block scale (×256).
struct F32Src {
  using Raw = float;
  static constexpr bool kScaled = false;
  static Reg load(const Raw* p) { return V::load(p); }
};
struct BF16Src {
  using Raw = uint16_t;
  static constexpr bool kScaled = false;
  static Reg load(const Raw* p) { return V::load_bf16(p); }
};
struct F16Src {
  using Raw = uint16_t;
  static constexpr bool kScaled = false;
  static Reg load(const Raw* p) { return V::load_f16(p); }
};
struct Fp8Src {
  using Raw = uint8_t;
  static constexpr bool kScaled = true;
  static Reg load(const Raw* p) { return V::load_fp8_div256(p); }
};

// The last partial chunk of a row, zero-padded to W lanes (zeros add exact zeros to each sum).
template <typename Raw>
struct Padded {
  alignas(64) Raw v[W];
  Padded(const Raw* src, int64_t count) {
    for (int i = 0; i < W; ++i) v[i] = i < count ? src[i] : Raw(0);
  }
};

// Per-row FP8 block-scale arrays (row-major [ceil(rows/br), ceil(cols/bc)]).
inline const float* fp8_scale_row(const MatrixRef& w, int64_t r) {
  const int64_t scale_cols = (w.cols + w.block_cols - 1) / w.block_cols;
  return w.block_scales + ((r + w.scale_row_offset) / w.block_rows) * scale_cols;
}

// y[t * y_stride + r] for T tokens (x rows, `cols` floats apart) and R weight rows.
// For FP8 (bc % W == 0 is the caller's precondition) a chunk never straddles a scale block.
template <class S, int T, int R>
inline void linear_tile(const typename S::Raw* const* wr, const float* const* sr, int64_t bc,
                        const float* x, int64_t cols, float* y, int64_t y_stride) {
  Reg acc[T][R];
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) acc[t][r] = V::zero();
  const int64_t full = cols - cols % W;
  const int64_t seg = S::kScaled ? bc : (full > 0 ? full : 1);
  int64_t block = 0;
  for (int64_t s0 = 0; s0 < full; s0 += seg, ++block) {
    const int64_t s1 = min64(s0 + seg, full);
    float scale[R];
    if constexpr (S::kScaled)
      for (int r = 0; r < R; ++r) scale[r] = sr[r][block] * 256.0f;
    for (int64_t c = s0; c < s1; c += W) {
      Reg w[R];
      for (int r = 0; r < R; ++r) {
        w[r] = S::load(wr[r] + c);
        if constexpr (S::kScaled) w[r] = V::mul(w[r], V::set1(scale[r]));
      }
      for (int t = 0; t < T; ++t) {
        const Reg xv = V::load(x + t * cols + c);
        for (int r = 0; r < R; ++r) acc[t][r] = V::fma(w[r], xv, acc[t][r]);
      }
    }
  }
  if (full < cols) {  // partial last chunk, inside the last scale block
    const int64_t count = cols - full;
    for (int r = 0; r < R; ++r) {
      const Padded<typename S::Raw> p(wr[r] + full, count);
      Reg w = S::load(p.v);
      if constexpr (S::kScaled) w = V::mul(w, V::set1(sr[r][full / bc] * 256.0f));
      for (int t = 0; t < T; ++t) {
        const Padded<float> xp(x + t * cols + full, count);
        acc[t][r] = V::fma(w, V::load(xp.v), acc[t][r]);
      }
    }
  }
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) y[t * y_stride + r] = V::reduce_add(acc[t][r]);
}

// Tokens [t0, t0 + T) × rows [r0, r1) in tiles of R rows, single rows for the remainder.
template <class S, int T, int R>
void linear_token_block(const float* x, int64_t t0, const MatrixRef& w, float* y, int64_t r0,
                        int64_t r1) {
  using Raw = typename S::Raw;
  const Raw* base = static_cast<const Raw*>(w.data);
  const float* xt = x + t0 * w.cols;
  float* yt = y + t0 * w.rows;
  int64_t r = r0;
  for (; r + R <= r1; r += R) {
    const Raw* wr[R];
    const float* sr[R];
    for (int i = 0; i < R; ++i) {
      wr[i] = base + (r + i) * w.cols;
      sr[i] = S::kScaled ? fp8_scale_row(w, r + i) : nullptr;
    }
    linear_tile<S, T, R>(wr, sr, w.block_cols, xt, w.cols, yt + r, w.rows);
  }
  for (; r < r1; ++r) {
    const Raw* wr[1] = {base + r * w.cols};
    const float* sr[1] = {S::kScaled ? fp8_scale_row(w, r) : nullptr};
    linear_tile<S, T, 1>(wr, sr, w.block_cols, xt, w.cols, yt + r, w.rows);
  }
}

template <class S>
void linear_rows_typed(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                       int64_t r1) {
  // Decode: one token block, every weight row streamed once for all n inputs.
  switch (n) {
    case 1: return linear_token_block<S, 1, kDecodeRows[1]>(x, 0, w, y, r0, r1);
    case 2: return linear_token_block<S, 2, kDecodeRows[2]>(x, 0, w, y, r0, r1);
    case 3: return linear_token_block<S, 3, kDecodeRows[3]>(x, 0, w, y, r0, r1);
    case 4: return linear_token_block<S, 4, kDecodeRows[4]>(x, 0, w, y, r0, r1);
    default: break;
  }
  // Prefill: token super-blocks whose activations stay in L2 (~256 KiB), and within one, row
  // tiles outermost so a tile's weight rows are reused from L1 by every 4-token tile.
  const int64_t super = min64(n, 4 * (1 + (int64_t(1) << 16) / (4 * (w.cols > 0 ? w.cols : 1))));
  for (int64_t s0 = 0; s0 < n; s0 += super) {
    const int64_t s1 = min64(s0 + super, n);
    for (int64_t rb = r0; rb < r1; rb += kPrefillRows) {
      const int64_t re = min64(rb + kPrefillRows, r1);
      int64_t t = s0;
      for (; t + 4 <= s1; t += 4) linear_token_block<S, 4, kPrefillRows>(x, t, w, y, rb, re);
      switch (s1 - t) {
        case 1: linear_token_block<S, 1, kPrefillRows>(x, t, w, y, rb, re); break;
        case 2: linear_token_block<S, 2, kPrefillRows>(x, t, w, y, rb, re); break;
        case 3: linear_token_block<S, 3, kPrefillRows>(x, t, w, y, rb, re); break;
        default: break;
      }
    }
  }
}

void dequantize_row(const MatrixRef& w, int64_t row, float* out) {
  const int64_t cols = w.cols;
  switch (w.dtype) {
    case DType::kF32:
    case DType::kBF16:
    case DType::kF16: {
      int64_t c = 0;
      const int64_t full = cols - cols % W;
      if (w.dtype == DType::kF32) {
        const float* src = static_cast<const float*>(w.data) + row * cols;
        for (; c < full; c += W) V::store(out + c, V::load(src + c));
        for (; c < cols; ++c) out[c] = src[c];
        return;
      }
      const uint16_t* src = static_cast<const uint16_t*>(w.data) + row * cols;
      const bool bf16 = w.dtype == DType::kBF16;
      for (; c < full; c += W) V::store(out + c, bf16 ? V::load_bf16(src + c) : V::load_f16(src + c));
      if (c < cols) {
        const Padded<uint16_t> p(src + c, cols - c);
        alignas(64) float tmp[W];
        V::store(tmp, bf16 ? V::load_bf16(p.v) : V::load_f16(p.v));
        for (int64_t i = c; i < cols; ++i) out[i] = tmp[i - c];
      }
      return;
    }
    case DType::kF8E4M3: {
      // W[r, c] = fp8(code[r, c]) * scale_inv[r / block_rows, c / block_cols]
      // (DeepSeek-V3 inference/kernel.py weight_dequant).
      const uint8_t* src = static_cast<const uint8_t*>(w.data) + row * cols;
      const float* scales = fp8_scale_row(w, row);
      for (int64_t c = 0; c < cols; c += W) {
        const int64_t count = min64(W, cols - c);
        const int64_t b0 = c / w.block_cols, b1 = (c + count - 1) / w.block_cols;
        if (b0 == b1) {  // one scale for the chunk
          const Padded<uint8_t> p(src + c, count);
          const Reg v = V::mul(V::load_fp8_div256(p.v), V::set1(scales[b0] * 256.0f));
          alignas(64) float tmp[W];
          V::store(tmp, v);
          for (int64_t i = 0; i < count; ++i) out[c + i] = tmp[i];
        } else {  // block width not a multiple of W: the shared table, element by element
          for (int64_t i = c; i < c + count; ++i) {
            out[i] = kFp8E4M3ToF32[src[i]] * scales[i / w.block_cols];
          }
        }
      }
      return;
    }
    case DType::kQ8_0:
    case DType::kQ4_0: return dequantize_row_quant(w, row, out);
    default: std::abort();
  }
}

// FP8 with block widths that are not a multiple of W (DeepSeek uses 128): each row dequantized
// (same floats as generic) into a scratch row, then the F32 tiles on it.
void linear_rows_fp8_unaligned(const float* x, int64_t n, const MatrixRef& w, float* y,
                               int64_t r0, int64_t r1) {
  float* row = static_cast<float*>(std::malloc(size_t(w.cols > 0 ? w.cols : 1) * sizeof(float)));
  if (row == nullptr) std::abort();
  for (int64_t r = r0; r < r1; ++r) {
    dequantize_row(w, r, row);
    const float* wr[1] = {row};
    const float* sr[1] = {nullptr};
    for (int64_t t = 0; t < n; ++t) {
      linear_tile<F32Src, 1, 1>(wr, sr, w.block_cols, x + t * w.cols, w.cols, y + t * w.rows + r, 0);
    }
  }
  std::free(row);
}

void linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                 int64_t r1) {
  switch (w.dtype) {
    case DType::kF32: return linear_rows_typed<F32Src>(x, n, w, y, r0, r1);
    case DType::kBF16: return linear_rows_typed<BF16Src>(x, n, w, y, r0, r1);
    case DType::kF16: return linear_rows_typed<F16Src>(x, n, w, y, r0, r1);
    case DType::kF8E4M3:
      if (w.block_cols % W == 0) return linear_rows_typed<Fp8Src>(x, n, w, y, r0, r1);
      return linear_rows_fp8_unaligned(x, n, w, y, r0, r1);
    case DType::kQ8_0:
    case DType::kQ4_0: return quant_linear_rows(x, n, w, y, r0, r1);
    default: std::abort();  // model/weights admits only the dtypes above
  }
}


// ---- linear_transposed: y[n, cols] = x[n, rows] · w, over output columns [c0, c1) ----

// T tokens × C chunks of W columns starting at c (count < W: one zero-padded chunk), over weight
// rows [r0, r1). The first row block starts the sums at zero; later ones continue them from y,
// so each y[t, c] is still one FMA chain over r in order, whatever the blocking.
template <class S, int T, int C>
inline void transposed_tile(const float* x, const MatrixRef& w, float* y, int64_t t0, int64_t c,
                            int64_t count, int64_t r0, int64_t r1) {
  using Raw = typename S::Raw;
  const Raw* base = static_cast<const Raw*>(w.data) + c;
  const float* xt = x + t0 * w.rows;
  Reg acc[T][C];
  for (int t = 0; t < T; ++t) {
    float* yt = y + (t0 + t) * w.cols + c;
    if (r0 == 0) {
      for (int j = 0; j < C; ++j) acc[t][j] = V::zero();
    } else if (count < W) {
      const Padded<float> p(yt, count);
      acc[t][0] = V::load(p.v);
    } else {
      for (int j = 0; j < C; ++j) acc[t][j] = V::load(yt + j * W);
    }
  }
  // FP8: the scale-block column of each chunk, and the scale row tracked as r crosses blocks.
  int64_t block_col[C] = {};
  int64_t scale_cols = 0, block_row = 0, next_block_row_start = 0;
  const float* srow = nullptr;
  if constexpr (S::kScaled) {
    for (int j = 0; j < C; ++j) block_col[j] = (c + j * W) / w.block_cols;
    scale_cols = (w.cols + w.block_cols - 1) / w.block_cols;
    block_row = (r0 + w.scale_row_offset) / w.block_rows;
    next_block_row_start = (block_row + 1) * w.block_rows - w.scale_row_offset;
    srow = w.block_scales + block_row * scale_cols;
  }
  for (int64_t r = r0; r < r1; ++r) {
    if constexpr (S::kScaled) {
      if (r == next_block_row_start) {
        ++block_row;
        next_block_row_start += w.block_rows;
        srow = w.block_scales + block_row * scale_cols;
      }
    }
    const Raw* row = base + r * w.cols;
    Reg wv[C];
    for (int j = 0; j < C; ++j) {
      if (count < W) {
        const Padded<Raw> p(row, count);
        wv[j] = S::load(p.v);
      } else {
        wv[j] = S::load(row + j * W);
      }
      if constexpr (S::kScaled) wv[j] = V::mul(wv[j], V::set1(srow[block_col[j]] * 256.0f));
    }
    for (int t = 0; t < T; ++t) {
      const Reg a = V::set1(xt[t * w.rows + r]);
      for (int j = 0; j < C; ++j) acc[t][j] = V::fma(a, wv[j], acc[t][j]);
    }
  }
  for (int t = 0; t < T; ++t) {
    float* yt = y + (t0 + t) * w.cols + c;
    if (count < W) {
      alignas(64) float tmp[W];
      V::store(tmp, acc[t][0]);
      for (int64_t i = 0; i < count; ++i) yt[i] = tmp[i];
    } else {
      for (int j = 0; j < C; ++j) V::store(yt + j * W, acc[t][j]);
    }
  }
}

template <class S, int T, int C>
void transposed_token_block(const float* x, const MatrixRef& w, float* y, int64_t t0, int64_t c0,
                            int64_t c1, int64_t r0, int64_t r1) {
  int64_t c = c0;
  for (; c + C * W <= c1; c += C * W) transposed_tile<S, T, C>(x, w, y, t0, c, C * W, r0, r1);
  for (; c + W <= c1; c += W) transposed_tile<S, T, 1>(x, w, y, t0, c, W, r0, r1);
  if (c < c1) transposed_tile<S, T, 1>(x, w, y, t0, c, c1 - c, r0, r1);
}

// Weight rows per block: the block is read as this many sequential row streams (few enough for
// the hardware prefetchers and the TLB), and the y tile is reloaded once per block.
constexpr int64_t kTransposedRowBlock = 32;

template <class S>
void linear_transposed_typed(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t c0,
                             int64_t c1) {
  if (n <= 4) {  // decode: every weight element read once, row blocks swept left to right
    for (int64_t r0 = 0; r0 < w.rows || r0 == 0; r0 += kTransposedRowBlock) {
      const int64_t r1 = min64(r0 + kTransposedRowBlock, w.rows);
      switch (n) {
        case 1: transposed_token_block<S, 1, kTransposedChunks[1]>(x, w, y, 0, c0, c1, r0, r1); break;
        case 2: transposed_token_block<S, 2, kTransposedChunks[2]>(x, w, y, 0, c0, c1, r0, r1); break;
        case 3: transposed_token_block<S, 3, kTransposedChunks[3]>(x, w, y, 0, c0, c1, r0, r1); break;
        case 4: transposed_token_block<S, 4, kTransposedChunks[4]>(x, w, y, 0, c0, c1, r0, r1); break;
        default: break;
      }
    }
    return;
  }
  // Many tokens: per column panel and row block, the weight block (32 rows × panel) stays in L1
  // while every 4-token tile uses it.
  constexpr int64_t kPanel = kTransposedChunks[4] * W;
  for (int64_t p = c0; p < c1; p += kPanel) {
    const int64_t pe = min64(p + kPanel, c1);
    for (int64_t r0 = 0; r0 < w.rows || r0 == 0; r0 += kTransposedRowBlock) {
      const int64_t r1 = min64(r0 + kTransposedRowBlock, w.rows);
      int64_t t = 0;
      for (; t + 4 <= n; t += 4) {
        transposed_token_block<S, 4, kTransposedChunks[4]>(x, w, y, t, p, pe, r0, r1);
      }
      switch (n - t) {
        case 1: transposed_token_block<S, 1, kTransposedChunks[4]>(x, w, y, t, p, pe, r0, r1); break;
        case 2: transposed_token_block<S, 2, kTransposedChunks[4]>(x, w, y, t, p, pe, r0, r1); break;
        case 3: transposed_token_block<S, 3, kTransposedChunks[4]>(x, w, y, t, p, pe, r0, r1); break;
        default: break;
      }
    }
  }
}

// FP8 whose scale blocks do not align with W-lane chunks: rows dequantized one at a time.
void linear_transposed_fp8_unaligned(const float* x, int64_t n, const MatrixRef& w, float* y,
                                     int64_t c0, int64_t c1) {
  float* row = static_cast<float*>(std::malloc(size_t(w.cols > 0 ? w.cols : 1) * sizeof(float)));
  if (row == nullptr) std::abort();
  for (int64_t t = 0; t < n; ++t)
    for (int64_t c = c0; c < c1; ++c) y[t * w.cols + c] = 0.0f;
  for (int64_t r = 0; r < w.rows; ++r) {
    dequantize_row(w, r, row);
    for (int64_t t = 0; t < n; ++t) {
      const Reg a = V::set1(x[t * w.rows + r]);
      float* yt = y + t * w.cols;
      int64_t c = c0;
      for (; c + W <= c1; c += W) V::store(yt + c, V::fma(a, V::load(row + c), V::load(yt + c)));
      for (; c < c1; ++c) yt[c] = __builtin_fmaf(x[t * w.rows + r], row[c], yt[c]);
    }
  }
  std::free(row);
}

void linear_transposed_cols(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t c0,
                            int64_t c1) {
  switch (w.dtype) {
    case DType::kF32: return linear_transposed_typed<F32Src>(x, n, w, y, c0, c1);
    case DType::kBF16: return linear_transposed_typed<BF16Src>(x, n, w, y, c0, c1);
    case DType::kF16: return linear_transposed_typed<F16Src>(x, n, w, y, c0, c1);
    case DType::kF8E4M3:
      if (w.block_cols % W == 0 && c0 % W == 0) {
        return linear_transposed_typed<Fp8Src>(x, n, w, y, c0, c1);
      }
      return linear_transposed_fp8_unaligned(x, n, w, y, c0, c1);
    case DType::kQ8_0:
    case DType::kQ4_0: return linear_transposed_quant(x, n, w, y, c0, c1);
    default: std::abort();
  }
}

// ---- vector kernels ----

// Four accumulators over W-lane chunks (round robin), the padded tail into the first, then a
// fixed tree.
float dot(const float* a, const float* b, int64_t n) {
  Reg acc[4] = {V::zero(), V::zero(), V::zero(), V::zero()};
  int64_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W)
    for (int j = 0; j < 4; ++j) acc[j] = V::fma(V::load(a + i + j * W), V::load(b + i + j * W), acc[j]);
  for (int j = 0; i + W <= n; i += W, ++j) acc[j] = V::fma(V::load(a + i), V::load(b + i), acc[j]);
  if (i < n) {
    const Padded<float> pa(a + i, n - i), pb(b + i, n - i);
    acc[0] = V::fma(V::load(pa.v), V::load(pb.v), acc[0]);
  }
  return V::reduce_add(V::add(V::add(acc[0], acc[1]), V::add(acc[2], acc[3])));
}

void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  Reg m = V::set1(x[0]);
  int64_t i = 0;
  for (; i + W <= n; i += W) m = V::max(m, V::load(x + i));
  float max_value = V::reduce_max(m);
  for (; i < n; ++i) max_value = x[i] > max_value ? x[i] : max_value;
  Reg sum = V::zero();
  for (i = 0; i + W <= n; i += W) {
    const Reg e = V::exp(V::add(V::load(x + i), V::set1(-max_value)));
    V::store(x + i, e);
    sum = V::add(sum, e);
  }
  if (i < n) {  // tail padded with -inf: exp gives 0
    alignas(64) float tmp[W];
    for (int j = 0; j < W; ++j) tmp[j] = i + j < n ? x[i + j] : -__builtin_inff();
    const Reg e = V::exp(V::add(V::load(tmp), V::set1(-max_value)));
    V::store(tmp, e);
    sum = V::add(sum, e);
    for (int64_t j = i; j < n; ++j) x[j] = tmp[j - i];
  }
  const float inv = 1.0f / V::reduce_add(sum);
  for (i = 0; i + W <= n; i += W) V::store(x + i, V::mul(V::load(x + i), V::set1(inv)));
  for (; i < n; ++i) x[i] *= inv;
}

void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  const float mean_square = dot(x, x, n) / float(n);
  const float inv = 1.0f / __builtin_sqrtf(mean_square + eps);
  const Reg iv = V::set1(inv);
  int64_t i = 0;
  for (; i + W <= n; i += W) V::store(out + i, V::mul(V::mul(V::load(x + i), iv), V::load(weight + i)));
  for (; i < n; ++i) out[i] = x[i] * inv * weight[i];
}
