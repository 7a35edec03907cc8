// The integer operations src/kernels/simd/qdot_impl.h is written against, on ymm registers
// (AVX2: vpmaddubsw + vpmaddwd; see avx512/int_vec.h for the shared reasoning). Included inside
// avx2/qdot.cpp's namespace after vec.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

struct IV {
  using I = __m256i;
  static constexpr int kBytes = 32;  // one register: 1 group of Q8_0 codes, 2 of Q4_0 codes

  static I load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static I sub(I a, I b) { return _mm256_sub_epi32(a, b); }
  static __m256 to_float(I v) { return _mm256_cvtepi32_ps(v); }

  static I low_nibbles(I q) { return _mm256_and_si256(q, _mm256_set1_epi8(0x0f)); }
  static I high_nibbles(I q) {
    return _mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0f));
  }

  // Sign trick of llama.cpp's ggml-cpu AVX2 Q8_0 dot (mul_sum_i8_pairs): vpmaddubsw takes |w|
  // unsigned and x with w's sign (vpsignb), so no int16 pair saturates (2·128·127 < 2^15).
  static constexpr int32_t kQ8Offset = 0;
  struct Q8W {
    I u;
    I w;
  };
  static Q8W q8_prep(I w) { return {_mm256_abs_epi8(w), w}; }
  static I q8_dot(const Q8W& w, I x) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(w.u, _mm256_sign_epi8(x, w.w)),
                             _mm256_set1_epi16(1));
  }
  static I q4_dot(I q, I xl, I xh) {
    const I pairs = _mm256_add_epi16(_mm256_maddubs_epi16(low_nibbles(q), xl),
                                     _mm256_maddubs_epi16(high_nibbles(q), xh));
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
  }

  // Two registers of Q8_0 partials (1 group each, 8 lanes) to one with a group per 128-bit lane.
  static I pair(I a, I b) {
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20),
                            _mm256_permute2x128_si256(a, b, 0x31));
  }
  // Four registers p_k, 128-bit lane q holding 4 partials of group 2k + q, to the 8 group sums in
  // order (group 2k + q ends in lane 4q + k before the permute).
  static I reduce4(I p0, I p1, I p2, I p3) {
    const I a = _mm256_add_epi32(_mm256_unpacklo_epi64(p0, p1), _mm256_unpackhi_epi64(p0, p1));
    const I b = _mm256_add_epi32(_mm256_unpacklo_epi64(p2, p3), _mm256_unpackhi_epi64(p2, p3));
    const __m256 af = _mm256_castsi256_ps(a), bf = _mm256_castsi256_ps(b);
    const I c =
        _mm256_add_epi32(_mm256_castps_si256(_mm256_shuffle_ps(af, bf, _MM_SHUFFLE(2, 0, 2, 0))),
                         _mm256_castps_si256(_mm256_shuffle_ps(af, bf, _MM_SHUFFLE(3, 1, 3, 1))));
    return _mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  }

  // ---- activation quantization (kernels/quantize.h quantize_activation_q8, vectorized) ----

  static float group_amax(const float* x) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 m =
        _mm256_max_ps(_mm256_and_ps(V::load(x), abs_mask), _mm256_and_ps(V::load(x + 8), abs_mask));
    m = _mm256_max_ps(m, _mm256_max_ps(_mm256_and_ps(V::load(x + 16), abs_mask),
                                       _mm256_and_ps(V::load(x + 24), abs_mask)));
    return V::reduce_max(m);
  }
  // See avx512/int_vec.h. The int32 → int8 packing (two signed-saturating packs, then a dword
  // permute to undo their per-lane interleave) is the one in llama.cpp's AVX2
  // quantize_row_q8_0.
  static int32_t group_codes(const float* x, float inverse, int8_t* first, int8_t* second) {
    const __m256 s = _mm256_set1_ps(inverse);
    const I lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    I v[4];
    for (int i = 0; i < 4; ++i) {
      v[i] = _mm256_min_epi32(
          _mm256_max_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(V::load(x + 8 * i), s)), lo), hi);
    }
    const I packed =
        _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
    const I codes = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(first), _mm256_castsi256_si128(codes));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(second), _mm256_extracti128_si256(codes, 1));
    const I sum = _mm256_add_epi32(_mm256_add_epi32(v[0], v[1]), _mm256_add_epi32(v[2], v[3]));
    __m128i q = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    q = _mm_add_epi32(q, _mm_unpackhi_epi64(q, q));
    q = _mm_add_epi32(q, _mm_shuffle_epi32(q, _MM_SHUFFLE(1, 1, 1, 1)));
    return _mm_cvtsi128_si32(q);
  }
};
