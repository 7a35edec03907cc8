// 16 float lanes in a zmm register: the operations src/kernels/simd/kernels_impl.h is written
// against. Compiled only into the avx512 object library (-mavx512f/bw/vl/dq); included inside
// namespace fathom::avx512, so nothing here can collide with another ISA's definitions (an
// inline function emitted with AVX-512 code and merged by the linker into baseline callers
// would fault on older CPUs).
#pragma once

#include <immintrin.h>

#include <cstdint>

struct V {
  using Reg = __m512;
  static constexpr int kLanes = 16;

  static Reg zero() { return _mm512_setzero_ps(); }
  static Reg set1(float v) { return _mm512_set1_ps(v); }
  static Reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, Reg v) { _mm512_storeu_ps(p, v); }
  static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm512_mul_ps(a, b); }
  static Reg max(Reg a, Reg b) { return _mm512_max_ps(a, b); }
  // a * b + c, one rounding.
  static Reg fma(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }

  // Fixed-order tree: 16 -> 8 -> 4 -> 2 -> 1.
  static float reduce_add(Reg v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
  }
  static float reduce_max(Reg v) { return _mm512_reduce_max_ps(v); }

  // bfloat16 is the top half of a float32: widen and shift.
  static Reg load_bf16(const uint16_t* p) {
    const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
  }
  static Reg load_f16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  // FP8 E4M3 codes as value / 256, exactly: sign-extend to 16 bits, shift left 7 and clear bit 14.
  // That places e4m3's sign at binary16's sign, its 4 exponent bits in the low 4 of binary16's 5
  // (bias 7 vs 15: a factor 2^-8) and its 3 mantissa bits at the top of binary16's 10; e4m3
  // subnormals land on binary16 subnormals with the same 2^-8 factor. The 0x7f/0xff NaN codes
  // decode as ±480 (DeepSeek checkpoints contain none). Then F16C widening, exact.
  static Reg load_fp8_div256(const uint8_t* p) {
    const __m256i s = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    const __m256i h = _mm256_and_si256(_mm256_slli_epi16(s, 7), _mm256_set1_epi16(int16_t(0xbf80)));
    return _mm512_cvtph_ps(h);
  }

  // Q8_0 / Q4_0 codes widened exactly to float (core/quant_format.h): 16 int8 codes, or the
  // low (high = false) or high nibbles of 16 bytes minus 8.
  static Reg load_q8(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static Reg load_q4(const uint8_t* p, bool high) {
    __m512i b = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    b = high ? _mm512_srli_epi32(b, 4) : _mm512_and_si512(b, _mm512_set1_epi32(0xf));
    return _mm512_cvtepi32_ps(_mm512_sub_epi32(b, _mm512_set1_epi32(8)));
  }
  // One float16 scale, exactly (F16C).
  static float f16(uint16_t h) { return _cvtsh_ss(h); }

  // exp(x) for softmax: Cephes expf (range reduction by ln 2 in two parts, degree-5 polynomial),
  // about 2 ulp; x below -87.3 (including -inf) gives 0.
  static Reg exp(Reg x) {
    const Reg xc = _mm512_min_ps(_mm512_max_ps(x, set1(-87.33654f)), set1(88.3762626647949f));
    const Reg n = _mm512_roundscale_ps(_mm512_mul_ps(xc, set1(1.44269504088896341f)),
                                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    Reg r = _mm512_fnmadd_ps(n, set1(0.693359375f), xc);
    r = _mm512_fnmadd_ps(n, set1(-2.12194440e-4f), r);
    Reg p = set1(1.9875691500e-4f);
    p = fma(p, r, set1(1.3981999507e-3f));
    p = fma(p, r, set1(8.3334519073e-3f));
    p = fma(p, r, set1(4.1665795894e-2f));
    p = fma(p, r, set1(1.6666665459e-1f));
    p = fma(p, r, set1(5.0000001201e-1f));
    p = fma(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, set1(1.0f)));
    const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    const Reg y = _mm512_mul_ps(p, _mm512_castsi512_ps(e));
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, set1(-87.33654f), _CMP_GE_OQ), y);
  }
};
