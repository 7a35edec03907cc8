// bf16_gemm.h's tiles on AVX-512 BF16: vdpbf16ps multiplies 16 pairs of bf16 values per register
// and adds both products of a pair into an fp32 lane, twice the multiply-adds per instruction of
// an fp32 FMA. Compiled with -mavx512bf16 in its own object library; called only where
// cpu_features().avx512_bf16 (bf16_gemm.cpp).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/bf16_gemm.h"
#include "kernels/row_kernels.h"

#if !defined(__AVX512BF16__)
#error "avx512_bf16/bf16_gemm.cpp needs -mavx512bf16 (src/kernels/CMakeLists.txt)"
#endif

namespace fathom::avx512_bf16_gemm {
namespace {

// Register tile: kRows rows of a × up to kChunks vectors of 16 columns: 16 accumulators, 4
// vectors of b and one broadcast pair of a fit the 32 zmm registers. kChunks · 16 is
// bf16_gemm.h's kBf16Panel (not used here: see avx512_bf16_gemm_tiles).
constexpr int kRows = 4, kChunks = 4;

struct Shape {
  int64_t k_padded, n_padded, k_blocks, block;
};

// Where a tile's operands are: a[i + t, 2p..2p+1] at a + t·a_row + p·a_pair, and the tile's 16·C
// columns of pair row p of b at b + p·b_pair (bf16_gemm.h layouts).
struct TileOperands {
  const uint16_t* a;
  int64_t a_row, a_pair;
  const uint16_t* b;
  int64_t b_pair;
};

// Rows [i, i + T) × columns [j, j + jcount) (jcount ≤ C·16) over k-pairs [p0, p1) of block kb,
// promoted into y.
template <int T, int C>
void tile(const Bf16Gemm& g, const Shape& s, const TileOperands& o, int64_t i, int64_t j,
          int64_t jcount, int64_t kb, int64_t p0, int64_t p1) {
  __m512 acc[T][C];
  for (int t = 0; t < T; ++t)
    for (int c = 0; c < C; ++c) acc[t][c] = _mm512_setzero_ps();
  for (int64_t p = p0; p < p1; ++p) {
    const uint16_t* brow = o.b + p * o.b_pair;
    __m512bh bv[C];
    for (int c = 0; c < C; ++c) bv[c] = (__m512bh)_mm512_loadu_si512(brow + c * 32);
    const uint16_t* arow = o.a + p * o.a_pair;
    for (int t = 0; t < T; ++t) {
      int32_t pair;
      std::memcpy(&pair, arow + t * o.a_row, sizeof pair);
      const __m512bh av = (__m512bh)_mm512_set1_epi32(pair);
      for (int c = 0; c < C; ++c) acc[t][c] = _mm512_dpbf16_ps(acc[t][c], av, bv[c]);
    }
  }
  const bool fresh = kb == 0 && !g.accumulate;  // y not yet holding a sum to continue
  for (int c = 0; c < C; ++c) {
    const int64_t col = j + c * 16, valid = jcount - c * 16;
    const __mmask16 mask = valid >= 16 ? __mmask16(0xffff) : __mmask16((1u << valid) - 1);
    const __m512 b_scale =
        g.block_k > 0 ? _mm512_loadu_ps(g.b_scales + kb * s.n_padded + col) : _mm512_setzero_ps();
    for (int t = 0; t < T; ++t) {
      float* yp = g.y + (i + t) * g.n + col;
      __m512 v;
      if (g.block_k > 0) {
        const __m512 scale =
            _mm512_mul_ps(_mm512_set1_ps(g.a_scales[(i + t) * s.k_blocks + kb]), b_scale);
        v = fresh ? _mm512_mul_ps(acc[t][c], scale)
                  : _mm512_fmadd_ps(acc[t][c], scale, _mm512_maskz_loadu_ps(mask, yp));
      } else {
        v = fresh ? acc[t][c] : _mm512_add_ps(_mm512_maskz_loadu_ps(mask, yp), acc[t][c]);
      }
      _mm512_mask_storeu_ps(yp, mask, v);
    }
  }
}

template <int T>
void row_tile(const Bf16Gemm& g, const Shape& s, const TileOperands& o, int64_t i, int64_t j,
              int64_t jcount, int64_t kb, int64_t p0, int64_t p1) {
  switch ((jcount + 15) / 16) {
    case 1: return tile<T, 1>(g, s, o, i, j, jcount, kb, p0, p1);
    case 2: return tile<T, 2>(g, s, o, i, j, jcount, kb, p0, p1);
    case 3: return tile<T, 3>(g, s, o, i, j, jcount, kb, p0, p1);
    default: return tile<T, 4>(g, s, o, i, j, jcount, kb, p0, p1);
  }
}

// bf16_pair_offset's panel: its first column and width (n_padded columns in all).
void panel_of(int64_t j, int64_t n_padded, int64_t* first, int64_t* width) {
  *first = j / kChunks / 16 * kChunks * 16;
  *width = n_padded - *first < kChunks * 16 ? n_padded - *first : kChunks * 16;
}

}  // namespace
}  // namespace fathom::avx512_bf16_gemm

namespace fathom::detail {

void avx512_bf16_gemm_tiles(const Bf16Gemm& g, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  using namespace avx512_bf16_gemm;
  Shape s;
  // (bf16_gemm.h's bf16_k_padded / bf16_n_padded, not called: an inline function compiled here
  // with AVX-512 enabled could be the copy the linker keeps for baseline callers.)
  s.k_padded = (g.k + 1) / 2 * 2;
  s.n_padded = (g.n + 15) / 16 * 16;
  s.block = g.block_k > 0 ? g.block_k : kBf16UnscaledBlock;
  s.k_blocks = (s.k_padded + s.block - 1) / s.block;
  if (s.k_padded == 0) {
    if (g.accumulate) return;
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t j = j0; j < j1; ++j) g.y[i * g.n + j] = 0.0f;
    return;
  }
  // Per block of k: b's block panel (block/2 pair rows × 64 columns, 16 KiB for 128, contiguous)
  // stays in L1 while every row tile uses it.
  for (int64_t j = j0; j < j1; j += kChunks * 16) {
    const int64_t jcount = (j1 - j < kChunks * 16) ? j1 - j : kChunks * 16;
    int64_t first, width;
    panel_of(j, s.n_padded, &first, &width);
    TileOperands o;
    o.b = g.b + first * s.k_padded + (j - first) * 2;
    o.b_pair = 2 * width;
    for (int64_t kb = 0; kb < s.k_blocks; ++kb) {
      const int64_t p0 = kb * s.block / 2;
      const int64_t p1 = (kb + 1) * s.block / 2 < s.k_padded / 2 ? (kb + 1) * s.block / 2
                                                                  : s.k_padded / 2;
      for (int64_t i = i0; i < i1; i += kRows) {
        if (g.a_pairs) {  // a's rows are the columns of its pair-packed transpose
          const int64_t m_padded = (g.m + 15) / 16 * 16;
          int64_t a_first, a_width;
          panel_of(i, m_padded, &a_first, &a_width);
          o.a = g.a + a_first * s.k_padded + (i - a_first) * 2;
          o.a_row = 2;
          o.a_pair = 2 * a_width;
        } else {
          o.a = g.a + i * s.k_padded;
          o.a_row = s.k_padded;
          o.a_pair = 2;
        }
        switch (i1 - i) {
          case 1: row_tile<1>(g, s, o, i, j, jcount, kb, p0, p1); break;
          case 2: row_tile<2>(g, s, o, i, j, jcount, kb, p0, p1); break;
          case 3: row_tile<3>(g, s, o, i, j, jcount, kb, p0, p1); break;
          default: row_tile<kRows>(g, s, o, i, j, jcount, kb, p0, p1); break;
        }
      }
    }
  }
}

}  // namespace fathom::detail
