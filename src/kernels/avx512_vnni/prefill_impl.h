// Q8_0/Q4_0 prefill on AVX512-VNNI: included by avx512_vnni/qdot.cpp after simd/qdot_impl.h,
// whose quant_linear_rows hands it n ≥ kPackedMinTokens tokens.
//
// The decode tiles spend most of their instructions turning each (token, row) pair's lane
// partials into per-group sums (the reduce4 tree). With many tokens it pays to repack the
// weights once so that no horizontal step is needed: a panel of 16 rows is laid out as, for
// each group g and each 4-byte step k, one register holding bytes [32g + 4k, 32g + 4k + 4) of
// all 16 rows (the "VNNI layout" of oneDNN's int8 GEMMs, 4i16o). vpdpbusd of that register with
// a token's 4 activation codes broadcast to every lane adds those 4 products into each row's
// lane, so after the 8 steps of a group lane j holds row j's exact group dot (plus the offset
// term, cancelled by starting from -offset·Σx). Q4_0 nibbles are unpacked to bytes during
// packing, so both formats share the inner loop. Packing (an 8x8 dword transpose per 8 rows and
// group) happens once per panel and call, for all n tokens.
//
// Arithmetic per (token, row): the same exact int32 per group and the same float term
// float(dot) · (d_w · d_x) as generic, added in group order with FMA into the row's lane: only
// FMA-vs-separate rounding differs from generic, and nothing depends on the tile a row or token
// falls in. (This is a different summation order from the decode tiles', so a token's outputs
// can differ in the last bits between calls with n < 8 and n ≥ 8.)

constexpr int kPanelRows = 16;  // one zmm lane per row
constexpr int kStepBytes = 4;   // bytes per vpdpbusd lane
constexpr int kSteps = int(kGroupSize) / kStepBytes;
// Register tile: kTileTokens × kTilePanels int accumulators (this group) and as many float
// accumulators, plus the panels' weight registers: 4 × 2 × 2 + 2 = 18 of 32 zmm.
// (Measured on Zen 5, 2048 x 2048, n = 512: 4 x 2 beat 6 x 2, 5 x 2, 3 x 3 and 8 x 1.)
constexpr int kTileTokens = 4;
constexpr int kTilePanels = 2;

// One row's group as 32 unsigned bytes in element order: Q8_0 code + 128 (xor), or Q4_0
// nibbles (low nibbles are elements 0..15, high nibbles 16..31).
template <bool kQ4>
inline __m256i unsigned_group(const uint8_t* src) {
  if constexpr (kQ4) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    const __m128i mask = _mm_set1_epi8(0x0f);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), mask), _mm_and_si128(b, mask));
  } else {
    return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)),
                            _mm256_set1_epi8(int8_t(-128)));
  }
}

// 8 rows × 8 dwords → 8 columns × 8 rows: the unpack/permute 8x8 transpose (Intel intrinsics
// guide; the float version is _MM_TRANSPOSE8_PS in many codes).
inline void transpose8x8(__m256i (&r)[8]) {
  __m256i t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) {  // rows 0-3 (t0..t3) and 4-7 (t4..t7)
    u[4 * h + 0] = _mm256_unpacklo_epi64(t[4 * h], t[4 * h + 2]);
    u[4 * h + 1] = _mm256_unpackhi_epi64(t[4 * h], t[4 * h + 2]);
    u[4 * h + 2] = _mm256_unpacklo_epi64(t[4 * h + 1], t[4 * h + 3]);
    u[4 * h + 3] = _mm256_unpackhi_epi64(t[4 * h + 1], t[4 * h + 3]);
  }
  for (int k = 0; k < 4; ++k) {
    r[k] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x20);
    r[k + 4] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x31);
  }
}

// Rows [row, row + count) (count ≤ panels · 16) of w into `codes` ([panel][group][step][16
// rows][4 bytes], unsigned: code + offset) and `scales` ([panel][group][16 rows], float). Rows
// past `count` get weight value 0 (the offset itself) and scale 0.
template <bool kQ4>
void pack_panels(const MatrixRef& w, int64_t row, int64_t count, int panels, uint8_t* codes,
                 float* scales) {
  const int64_t groups = w.cols / kGroupSize;
  const int64_t stride = kQ4 ? w.cols / 2 : w.cols, group_bytes = kQ4 ? kGroupSize / 2 : kGroupSize;
  const uint8_t* base = static_cast<const uint8_t*>(w.data);
  const __m256i zero_weight = _mm256_set1_epi8(int8_t(kQ4 ? 8 : 128));
  for (int p = 0; p < panels; ++p) {
    const int64_t first = row + int64_t(p) * kPanelRows;
    for (int64_t g = 0; g < groups; ++g) {
      __m256i half[2][8];
      for (int h = 0; h < 2; ++h) {
        for (int j = 0; j < 8; ++j) {
          const int64_t i = int64_t(p) * kPanelRows + 8 * h + j;
          half[h][j] =
              i < count ? unsigned_group<kQ4>(base + (first + 8 * h + j) * stride + g * group_bytes)
                        : zero_weight;
        }
        transpose8x8(half[h]);
      }
      uint8_t* dst = codes + (int64_t(p) * groups + g) * kSteps * kPanelRows * kStepBytes;
      for (int k = 0; k < kSteps; ++k) {
        IV::store(dst + k * kPanelRows * kStepBytes,
                  _mm512_inserti64x4(_mm512_castsi256_si512(half[0][k]), half[1][k], 1));
      }
    }
    for (int j = 0; j < kPanelRows; ++j) {
      const int64_t i = int64_t(p) * kPanelRows + j;
      const uint16_t* src = w.group_scales + (first + j) * groups;
      float* dst = scales + int64_t(p) * groups * kPanelRows + j;
      for (int64_t g = 0; g < groups; ++g) dst[g * kPanelRows] = i < count ? V::f16(src[g]) : 0.0f;
    }
  }
}

// T tokens from t0 × P panels over all groups; acc[t][p] lane j = y[t0 + t, panel row j].
template <int T, int P>
inline void packed_tile(const uint8_t* codes, const float* scales, int64_t groups, const QActs& a,
                        int64_t t0, FReg (&acc)[T][P]) {
  for (int64_t g = 0; g < groups; ++g) {
    IReg dot[T][P];
    const int8_t* x[T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const int64_t lane = (t0 + t) * a.padded + g;
      x[t] = a.codes + lane * kGroupSize;
      const IReg start = _mm512_set1_epi32(-a.offset[lane]);
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p) dot[t][p] = start;
    }
#pragma GCC unroll 8
    for (int k = 0; k < kSteps; ++k) {
      IReg wv[P];
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p)
        wv[p] = IV::load(codes + ((p * groups + g) * kSteps + k) * kPanelRows * kStepBytes);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        int32_t four;
        std::memcpy(&four, x[t] + k * kStepBytes, sizeof four);
        const IReg xb = _mm512_set1_epi32(four);
#pragma GCC unroll 8
        for (int p = 0; p < P; ++p) dot[t][p] = _mm512_dpbusd_epi32(dot[t][p], wv[p], xb);
      }
    }
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const FReg xs = V::set1(a.scales[(t0 + t) * a.padded + g]);
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p) {
        const FReg s = V::mul(V::load(scales + (p * groups + g) * kPanelRows), xs);
        acc[t][p] = V::fma(IV::to_float(dot[t][p]), s, acc[t][p]);
      }
    }
  }
}

// Tokens [t0, t0 + T) for the packed panels of rows [row, row + count).
template <int T, int P>
void packed_token_tile(const uint8_t* codes, const float* scales, const MatrixRef& w,
                       const QActs& a, int64_t t0, float* y, int64_t row, int64_t count) {
  FReg acc[T][P];
  for (int t = 0; t < T; ++t)
    for (int p = 0; p < P; ++p) acc[t][p] = V::zero();
  packed_tile<T, P>(codes, scales, w.cols / kGroupSize, a, t0, acc);
  for (int t = 0; t < T; ++t) {
    for (int p = 0; p < P; ++p) {
      const int64_t left = count - int64_t(p) * kPanelRows;
      const __mmask16 keep = left >= kPanelRows ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
      _mm512_mask_storeu_ps(y + (t0 + t) * w.rows + row + p * kPanelRows, keep, acc[t][p]);
    }
  }
}

// The last `left` < T tokens, as one tile of that many.
template <int T, int P>
void packed_tail(const uint8_t* codes, const float* scales, const MatrixRef& w, const QActs& a,
                 int64_t t, int64_t left, float* y, int64_t row, int64_t count) {
  if constexpr (T > 1) {
    if (left == T - 1) return packed_token_tile<T - 1, P>(codes, scales, w, a, t, y, row, count);
    packed_tail<T - 1, P>(codes, scales, w, a, t, left, y, row, count);
  }
}

template <int P>
void packed_rows(const uint8_t* codes, const float* scales, const MatrixRef& w, const QActs& a,
                 int64_t n, float* y, int64_t row, int64_t count) {
  int64_t t = 0;
  for (; t + kTileTokens <= n; t += kTileTokens) {
    packed_token_tile<kTileTokens, P>(codes, scales, w, a, t, y, row, count);
  }
  if (t < n) packed_tail<kTileTokens, P>(codes, scales, w, a, t, n - t, y, row, count);
}

template <bool kQ4>
void packed_prefill(const QActs& a, const MatrixRef& w, float* y, int64_t n, int64_t r0,
                    int64_t r1) {
  const int64_t groups = w.cols / kGroupSize;
  const size_t code_bytes = size_t(kTilePanels * groups * kGroupSize * kPanelRows);
  uint8_t* codes = static_cast<uint8_t*>(std::aligned_alloc(64, code_bytes + 64));
  float* scales = static_cast<float*>(
      std::aligned_alloc(64, size_t(kTilePanels * groups * kPanelRows) * sizeof(float) + 64));
  if (codes == nullptr || scales == nullptr) std::abort();
  // Rows in tiles of kTilePanels panels, each packed once and used by every token; a range's
  // last tile may have one panel or a partial one (dispatch.cpp starts ranges on 16-row grains).
  for (int64_t row = r0; row < r1; row += kTilePanels * kPanelRows) {
    const int64_t count = qmin64(kTilePanels * kPanelRows, r1 - row);
    const int panels = int((count + kPanelRows - 1) / kPanelRows);
    pack_panels<kQ4>(w, row, count, panels, codes, scales);
    if (panels == kTilePanels) {
      packed_rows<kTilePanels>(codes, scales, w, a, n, y, row, count);
    } else {
      packed_rows<1>(codes, scales, w, a, n, y, row, count);
    }
  }
  std::free(codes);
  std::free(scales);
}
