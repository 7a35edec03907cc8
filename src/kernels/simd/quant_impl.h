// The float side of the Q8_0/Q4_0 kernels (core/quant_format.h), written once against V and
// included by avx2/kernels.cpp and avx512/kernels.cpp after simd/kernels_impl.h's helpers: row
// dequantization (embedding lookups) and linear_transposed (weight absorption), whose sum runs
// over weight rows and so crosses groups with different scales: there the weights are decoded in
// registers to the exact floats code · scale (an int8 or nibble times a float16 fits in 18 bits)
// and the F32 FMA tiles of kernels_impl.h's linear_transposed apply. The integer-dot linear
// (y = x·Wᵀ) lives in simd/qdot_impl.h.
//
// Expects what kernels_impl.h expects, plus min64 and kTransposedChunks from it, and V::load_q8,
// V::load_q4, V::f16 (vec.h). Because kQuantGroup (32) is a multiple of W and cols a multiple of
// kQuantGroup, every W-lane chunk lies in one group and no chunk is partial.

constexpr int64_t kGroupCols = 32;  // kQuantGroup; kept local: no header inline code here

// Row `row` of a Q8_0/Q4_0 matrix: value = code · scale, the same floats as generic.
void dequantize_row_quant(const MatrixRef& w, int64_t row, float* out) {
  const int64_t groups = w.cols / kGroupCols;
  const uint16_t* scales = w.group_scales + row * groups;
  if (w.dtype == DType::kQ8_0) {
    const int8_t* src = static_cast<const int8_t*>(w.data) + row * w.cols;
    for (int64_t g = 0; g < groups; ++g) {
      const Reg d = V::set1(V::f16(scales[g]));
      for (int64_t i = g * kGroupCols; i < (g + 1) * kGroupCols; i += W) {
        V::store(out + i, V::mul(V::load_q8(src + i), d));
      }
    }
    return;
  }
  const uint8_t* src = static_cast<const uint8_t*>(w.data) + row * (w.cols / 2);
  for (int64_t g = 0; g < groups; ++g) {
    const Reg d = V::set1(V::f16(scales[g]));
    const uint8_t* bytes = src + g * (kGroupCols / 2);
    for (int64_t i = 0; i < kGroupCols / 2; i += W) {  // element i + j: low nibble of byte i + j
      V::store(out + g * kGroupCols + i, V::mul(V::load_q4(bytes + i, false), d));
      V::store(out + g * kGroupCols + kGroupCols / 2 + i, V::mul(V::load_q4(bytes + i, true), d));
    }
  }
}

// Where the W columns starting at `col` live in every row: byte offset within a row, nibble half
// (Q4_0) and group.
struct QuantChunk {
  int64_t byte;
  int64_t group;
  bool high;
};
inline QuantChunk quant_chunk(DType dtype, int64_t col) {
  const int64_t group = col / kGroupCols, within = col % kGroupCols;
  if (dtype == DType::kQ8_0) return {col, group, false};
  return {group * (kGroupCols / 2) + within % (kGroupCols / 2), group, within >= kGroupCols / 2};
}

// T tokens × C chunks of W columns from column c, over weight rows [r0, r1): the structure of
// kernels_impl.h's transposed_tile (sums start at zero on the first row block, continue from y
// after), so each y[t, c] is one FMA chain over r in order.
template <bool kQ4, int T, int C>
inline void transposed_tile_quant(const float* x, const MatrixRef& w, float* y, int64_t t0,
                                  int64_t c, int64_t r0, int64_t r1) {
  const int64_t stride = kQ4 ? w.cols / 2 : w.cols, groups = w.cols / kGroupCols;
  const uint8_t* base = static_cast<const uint8_t*>(w.data);
  const float* xt = x + t0 * w.rows;
  QuantChunk chunk[C];
  for (int j = 0; j < C; ++j) chunk[j] = quant_chunk(w.dtype, c + j * W);
  Reg acc[T][C];
  for (int t = 0; t < T; ++t) {
    for (int j = 0; j < C; ++j) {
      acc[t][j] = r0 == 0 ? V::zero() : V::load(y + (t0 + t) * w.cols + c + j * W);
    }
  }
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = base + r * stride;
    const uint16_t* scales = w.group_scales + r * groups;
    Reg wv[C];
    for (int j = 0; j < C; ++j) {
      const Reg codes = kQ4 ? V::load_q4(row + chunk[j].byte, chunk[j].high)
                            : V::load_q8(reinterpret_cast<const int8_t*>(row) + chunk[j].byte);
      wv[j] = V::mul(codes, V::set1(V::f16(scales[chunk[j].group])));
    }
    for (int t = 0; t < T; ++t) {
      const Reg a = V::set1(xt[t * w.rows + r]);
      for (int j = 0; j < C; ++j) acc[t][j] = V::fma(a, wv[j], acc[t][j]);
    }
  }
  for (int t = 0; t < T; ++t) {
    for (int j = 0; j < C; ++j) V::store(y + (t0 + t) * w.cols + c + j * W, acc[t][j]);
  }
}

template <bool kQ4, int T, int C>
void transposed_token_block_quant(const float* x, const MatrixRef& w, float* y, int64_t t0,
                                  int64_t c0, int64_t c1, int64_t r0, int64_t r1) {
  int64_t c = c0;
  for (; c + C * W <= c1; c += C * W) transposed_tile_quant<kQ4, T, C>(x, w, y, t0, c, r0, r1);
  for (; c < c1; c += W) transposed_tile_quant<kQ4, T, 1>(x, w, y, t0, c, r0, r1);
}

// The blocking of kernels_impl.h's linear_transposed_typed: row blocks swept left to right for
// decode; column panels × row blocks × 4-token tiles for many tokens. c0 and c1 are multiples of
// W (dispatch.cpp splits columns in 64s; cols is a multiple of 32).
template <bool kQ4>
void linear_transposed_quant_typed(const float* x, int64_t n, const MatrixRef& w, float* y,
                                   int64_t c0, int64_t c1) {
  constexpr int64_t kRowBlock = 32;
  if (n <= 4) {
    for (int64_t r0 = 0; r0 < w.rows || r0 == 0; r0 += kRowBlock) {
      const int64_t r1 = min64(r0 + kRowBlock, w.rows);
      switch (n) {
        case 1:
          transposed_token_block_quant<kQ4, 1, kTransposedChunks[1]>(x, w, y, 0, c0, c1, r0, r1);
          break;
        case 2:
          transposed_token_block_quant<kQ4, 2, kTransposedChunks[2]>(x, w, y, 0, c0, c1, r0, r1);
          break;
        case 3:
          transposed_token_block_quant<kQ4, 3, kTransposedChunks[3]>(x, w, y, 0, c0, c1, r0, r1);
          break;
        case 4:
          transposed_token_block_quant<kQ4, 4, kTransposedChunks[4]>(x, w, y, 0, c0, c1, r0, r1);
          break;
        default:
          break;
      }
    }
    return;
  }
  constexpr int64_t kPanel = kTransposedChunks[4] * W;
  for (int64_t p = c0; p < c1; p += kPanel) {
    const int64_t pe = min64(p + kPanel, c1);
    for (int64_t r0 = 0; r0 < w.rows || r0 == 0; r0 += kRowBlock) {
      const int64_t r1 = min64(r0 + kRowBlock, w.rows);
      int64_t t = 0;
      for (; t + 4 <= n; t += 4) {
        transposed_token_block_quant<kQ4, 4, kTransposedChunks[4]>(x, w, y, t, p, pe, r0, r1);
      }
      switch (n - t) {
        case 1:
          transposed_token_block_quant<kQ4, 1, kTransposedChunks[4]>(x, w, y, t, p, pe, r0, r1);
          break;
        case 2:
          transposed_token_block_quant<kQ4, 2, kTransposedChunks[4]>(x, w, y, t, p, pe, r0, r1);
          break;
        case 3:
          transposed_token_block_quant<kQ4, 3, kTransposedChunks[4]>(x, w, y, t, p, pe, r0, r1);
          break;
        default:
          break;
      }
    }
  }
}

void linear_transposed_quant(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t c0,
                             int64_t c1) {
  if (w.dtype == DType::kQ4_0) return linear_transposed_quant_typed<true>(x, n, w, y, c0, c1);
  linear_transposed_quant_typed<false>(x, n, w, y, c0, c1);
}
