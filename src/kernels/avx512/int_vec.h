// The integer operations src/kernels/simd/qdot_impl.h is written against, on zmm registers.
// Compiled twice: into avx512/qdot.cpp (AVX-512BW: vpmaddubsw + vpmaddwd) and into
// avx512_vnni/qdot.cpp, which adds -mavx512vnni and so defines __AVX512VNNI__ (vpdpbusd). Only
// the dot-product steps differ; run-time detection picks the object (avx512/kernels.cpp).
// Included inside each file's own namespace after vec.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

struct IV {
  using I = __m512i;
  static constexpr int kBytes = 64;  // one register: 2 groups of Q8_0 codes, 4 of Q4_0 codes

  static I load(const void* p) { return _mm512_loadu_si512(p); }
  static void store(void* p, I v) { _mm512_storeu_si512(p, v); }
  static I sub(I a, I b) { return _mm512_sub_epi32(a, b); }
  static __m512 to_float(I v) { return _mm512_cvtepi32_ps(v); }

  // Q4_0 nibbles of 64 bytes (4 groups, 16 bytes each): low nibbles = the groups' elements
  // 0..15, high nibbles = elements 16..31, each as an unsigned byte 0..15.
  static I low_nibbles(I q) { return _mm512_and_si512(q, _mm512_set1_epi8(0x0f)); }
  static I high_nibbles(I q) {
    return _mm512_and_si512(_mm512_srli_epi16(q, 4), _mm512_set1_epi8(0x0f));
  }

#if defined(__AVX512VNNI__)
  // vpdpbusd multiplies unsigned by signed bytes and adds each 4 products into an int32 lane,
  // without saturation (Intel intrinsics guide, _mm512_dpbusd_epi32). Q8_0 codes are signed, so
  // they go in offset to unsigned (w + 128, one xor) and the kernel subtracts 128·Σ x codes per
  // group, precomputed with the activations: the u8·s8 compensation oneDNN uses for its int8
  // GEMMs. Every partial is exact: |Σ| ≤ 4·255·127 per lane.
  static constexpr int32_t kQ8Offset = 128;
  struct Q8W {
    I u;
  };
  static Q8W q8_prep(I w) { return {_mm512_xor_si512(w, _mm512_set1_epi8(int8_t(-128)))}; }
  static I q8_dot(const Q8W& w, I x) { return _mm512_dpbusd_epi32(_mm512_setzero_si512(), w.u, x); }
  static I q4_dot(I q, I xl, I xh) {
    return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), low_nibbles(q), xl),
                               high_nibbles(q), xh);
  }
#else
  // vpmaddubsw adds pairs of u8·s8 products into int16 with saturation, so Q8_0 uses the sign
  // trick of llama.cpp's ggml-cpu AVX2 dot (mul_sum_i8_pairs): |w| as the unsigned operand and
  // x with w's sign applied, |pair| ≤ 2·128·127 < 2^15; vpmaddwd against ones widens pairs of
  // those to int32, exactly.
  static constexpr int32_t kQ8Offset = 0;
  struct Q8W {
    I u;
    __mmask64 negative;
  };
  static Q8W q8_prep(I w) { return {_mm512_abs_epi8(w), _mm512_movepi8_mask(w)}; }
  static I q8_dot(const Q8W& w, I x) {
    const I signed_x = _mm512_mask_sub_epi8(x, w.negative, _mm512_setzero_si512(), x);
    return _mm512_madd_epi16(_mm512_maddubs_epi16(w.u, signed_x), _mm512_set1_epi16(1));
  }
  // Nibbles are at most 15: a pair is at most 2·15·127 and the low and high halves' pairs can be
  // added in int16 before widening (|Σ| ≤ 7620).
  static I q4_dot(I q, I xl, I xh) {
    const I pairs = _mm512_add_epi16(_mm512_maddubs_epi16(low_nibbles(q), xl),
                                     _mm512_maddubs_epi16(high_nibbles(q), xh));
    return _mm512_madd_epi16(pairs, _mm512_set1_epi16(1));
  }
#endif

  // Two registers of Q8_0 partials (each: 2 groups, 8 int32 lanes apiece) to one with 4 groups,
  // one per 128-bit lane (4 partials apiece), in order.
  static I pair(I a, I b) {
    return _mm512_add_epi32(_mm512_shuffle_i32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_i32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
  }
  // Four registers p_k, 128-bit lane q holding 4 partials of group 4k + q, to the 16 group sums
  // in order: pairwise lane sums (unpack + add, then shuffle_ps + add, the transpose-and-add of
  // a horizontal sum) leave group 4k + q in lane 4q + k; one permute puts it in lane 4k + q.
  static I reduce4(I p0, I p1, I p2, I p3) {
    const I a = _mm512_add_epi32(_mm512_unpacklo_epi64(p0, p1), _mm512_unpackhi_epi64(p0, p1));
    const I b = _mm512_add_epi32(_mm512_unpacklo_epi64(p2, p3), _mm512_unpackhi_epi64(p2, p3));
    const __m512 af = _mm512_castsi512_ps(a), bf = _mm512_castsi512_ps(b);
    const I c =
        _mm512_add_epi32(_mm512_castps_si512(_mm512_shuffle_ps(af, bf, _MM_SHUFFLE(2, 0, 2, 0))),
                         _mm512_castps_si512(_mm512_shuffle_ps(af, bf, _MM_SHUFFLE(3, 1, 3, 1))));
    const I order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_epi32(order, c);
  }

  // ---- activation quantization (kernels/quantize.h quantize_activation_q8, vectorized) ----

  static float group_amax(const float* x) {
    return V::reduce_max(_mm512_max_ps(_mm512_abs_ps(V::load(x)), _mm512_abs_ps(V::load(x + 16))));
  }
  // Codes of x[0..32) · inverse (round half to even, the MXCSR default, as generic's
  // nearbyint; NaN's INT_MIN clamps to -127 as q8_activation_code does): elements 0..15 to
  // `first`, 16..31 to `second`. Returns Σ codes.
  static int32_t group_codes(const float* x, float inverse, int8_t* first, int8_t* second) {
    const __m512 s = _mm512_set1_ps(inverse);
    const I lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    const I a = _mm512_min_epi32(
        _mm512_max_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(V::load(x), s)), lo), hi);
    const I b = _mm512_min_epi32(
        _mm512_max_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(V::load(x + 16), s)), lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(first), _mm512_cvtepi32_epi8(a));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(second), _mm512_cvtepi32_epi8(b));
    const I sum = _mm512_add_epi32(a, b);
    __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(sum), _mm512_extracti64x4_epi64(sum, 1));
    __m128i q = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    q = _mm_add_epi32(q, _mm_unpackhi_epi64(q, q));
    q = _mm_add_epi32(q, _mm_shuffle_epi32(q, _MM_SHUFFLE(1, 1, 1, 1)));
    return _mm_cvtsi128_si32(q);
  }
};
