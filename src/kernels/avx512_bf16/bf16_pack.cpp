// bf16_gemm.h's packs on AVX-512 BF16: vcvtneps2bf16 rounds 16 floats to bf16 (nearest even;
// fp32 subnormals flush to zero) per instruction. Compiled with -mavx512bf16 beside the GEMM
// tiles; called only where cpu_features().avx512_bf16 (bf16_gemm.cpp).
#include <immintrin.h>

#include <cstdint>

#include "kernels/bf16_gemm.h"
#include "kernels/row_kernels.h"

#if !defined(__AVX512BF16__)
#error "avx512_bf16/bf16_pack.cpp needs -mavx512bf16 (src/kernels/CMakeLists.txt)"
#endif

namespace fathom::avx512_bf16_pack {
namespace {

inline __mmask16 first(int64_t count) {
  return count >= 16 ? __mmask16(0xffff) : count <= 0 ? __mmask16(0) : __mmask16((1u << count) - 1);
}

// 16 bf16 values of the source from element `index` on, the first `count` of them real and the
// rest zero.
inline __m256i load16(const Bf16Source& src, int64_t index, int64_t count) {
  const __mmask16 m = first(count);
  if (src.values != nullptr) {
    return (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src.values + index));
  }
  return _mm256_maskz_loadu_epi16(m, src.bf16 + index);
}

// 16 pairs (even | odd << 16) of two 16-value vectors.
inline __m512i interleave(__m256i even, __m256i odd) {
  return _mm512_or_si512(_mm512_cvtepu16_epi32(even),
                         _mm512_slli_epi32(_mm512_cvtepu16_epi32(odd), 16));
}

// bf16_gemm.h's bf16_pair_offset (restated: an inline function of that header compiled here with
// AVX-512 enabled could be the copy the linker keeps for baseline callers).
inline int64_t pair_offset(int64_t kk, int64_t j, int64_t kp, int64_t np) {
  const int64_t first = j / 64 * 64, width = np - first < 64 ? np - first : 64;
  return first * kp + ((kk / 2) * width + (j - first)) * 2;
}

}  // namespace
}  // namespace fathom::avx512_bf16_pack

namespace fathom::detail {

void avx512_bf16_pack_rows(const Bf16Source& src, int64_t k, int64_t r0, int64_t r1,
                           uint16_t* dst) {
  using namespace avx512_bf16_pack;
  const int64_t kp = (k + 1) / 2 * 2;
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t c = 0; c < kp; c += 16) {
      _mm256_mask_storeu_epi16(dst + r * kp + c, first(kp - c), load16(src, r * k + c, k - c));
    }
  }
}

void avx512_bf16_pack_pairs(const Bf16Source& src, int64_t k, int64_t n, int64_t p0, int64_t p1,
                            uint16_t* dst) {
  using namespace avx512_bf16_pack;
  const int64_t np = (n + 15) / 16 * 16, kp = (k + 1) / 2 * 2;
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t even = 2 * p, odd = 2 * p + 1;
    for (int64_t j = 0; j < np; j += 16) {
      const __m256i e = load16(src, even * n + j, n - j);
      const __m256i o = odd < k ? load16(src, odd * n + j, n - j) : _mm256_setzero_si256();
      _mm512_storeu_si512(dst + pair_offset(even, j, kp, np), interleave(e, o));
    }
  }
}

void avx512_bf16_pack_pairs_transposed(const Bf16Source& src, int64_t k, int64_t n, int64_t p0,
                                       int64_t p1, uint16_t* dst) {
  using namespace avx512_bf16_pack;
  // Blocks of 16 pairs × 16 columns: each source row j contributes 32 consecutive values (16
  // pairs), converted in registers; the 16 x 16 block of 32-bit pairs is transposed through L1.
  const int64_t np = (n + 15) / 16 * 16, kp = (k + 1) / 2 * 2, pairs = kp / 2;
  alignas(64) uint32_t block[16][16];
  for (int64_t pb = p0; pb < p1; pb += 16) {
    const int64_t pcount = p1 - pb < 16 ? p1 - pb : 16;
    for (int64_t j0 = 0; j0 < np; j0 += 16) {
      for (int64_t r = 0; r < 16; ++r) {
        const int64_t j = j0 + r;
        __m512i row = _mm512_setzero_si512();
        if (j < n) {
          const int64_t base = j * k + 2 * pb, left = k - 2 * pb;
          row = _mm512_inserti64x4(_mm512_castsi256_si512(load16(src, base, left)),
                                   load16(src, base + 16, left - 16), 1);
        }
        _mm512_store_si512(block[r], row);
      }
      for (int64_t q = 0; q < pcount && pb + q < pairs; ++q) {
        alignas(64) uint32_t column[16];
        for (int r = 0; r < 16; ++r) column[r] = block[r][q];
        _mm512_storeu_si512(dst + pair_offset(2 * (pb + q), j0, kp, np), _mm512_load_si512(column));
      }
    }
  }
}

void avx512_bf16_round_e4m3(const float* x, const float* scale, int64_t count, uint16_t* out) {
  using namespace avx512_bf16_pack;
  // bf16_gemm.cpp's e4m3_round_bits, 16 lanes at a time.
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), top12 = _mm512_set1_epi32(int(0xfff00000u));
  const __m512i max_bits = _mm512_set1_epi32(0x43e00000), inf_bits = _mm512_set1_epi32(0x7f800000);
  const __m512i min_normal = _mm512_set1_epi32(0x3c800000), half_ulp = _mm512_set1_epi32(0x7ffff);
  const __m512i one = _mm512_set1_epi32(1), quiet_nan = _mm512_set1_epi32(0x7fc00000);
  const __m512 big = _mm512_set1_ps(8388608.0f);
  for (int64_t c = 0; c < count; c += 16) {
    const __mmask16 m = first(count - c);
    const __m512 y = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x + c),
                                   _mm512_mask_loadu_ps(_mm512_set1_ps(1.0f), m, scale + c));
    const __m512i u = _mm512_castps_si512(y), a = _mm512_and_si512(u, abs_mask);
    const __m512i sign = _mm512_andnot_si512(abs_mask, u);
    // Normal range: keep 3 of float's 23 mantissa bits, ties to even; saturate at 448.
    __m512i r = _mm512_add_epi32(a, _mm512_add_epi32(half_ulp, _mm512_and_si512(_mm512_srli_epi32(a, 20), one)));
    r = _mm512_min_epu32(_mm512_and_si512(r, top12), max_bits);
    // Subnormal range: nearest multiple of 2^-9 (|y|·512 is exact; ±2^23 rounds it).
    const __m512 q = _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_castsi512_ps(a), _mm512_set1_ps(512.0f)), big), big);
    const __m512i sub = _mm512_castps_si512(_mm512_mul_ps(q, _mm512_set1_ps(1.0f / 512.0f)));
    r = _mm512_mask_mov_epi32(r, _mm512_cmplt_epu32_mask(a, min_normal), sub);
    r = _mm512_mask_mov_epi32(r, _mm512_cmpgt_epu32_mask(a, inf_bits), quiet_nan);
    r = _mm512_or_si512(r, sign);
    _mm256_mask_storeu_epi16(out + c, m, _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16)));
  }
}

void avx512_absmax_columns(const float* src, int64_t rows, int64_t cols, float* colmax) {
  using namespace avx512_bf16_pack;
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (int64_t c = 0; c < cols; c += 16) {
    const __mmask16 m = first(cols - c);
    __m512 acc = _mm512_maskz_loadu_ps(m, colmax + c);
    for (int64_t r = 0; r < rows; ++r) {
      // max(|x|, acc) returns acc when |x| is NaN: NaN elements are skipped.
      acc = _mm512_max_ps(_mm512_and_ps(_mm512_maskz_loadu_ps(m, src + r * cols + c), abs_mask), acc);
    }
    _mm512_mask_storeu_ps(colmax + c, m, acc);
  }
}

}  // namespace fathom::detail
