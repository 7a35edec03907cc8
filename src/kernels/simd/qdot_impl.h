// y = x·Wᵀ for Q8_0/Q4_0 weights by integer dot products, written once against V (float
// vector, vec.h) and IV (integer operations, int_vec.h) and compiled per ISA: avx2/qdot.cpp,
// avx512/qdot.cpp (AVX-512BW) and avx512_vnni/qdot.cpp (AVX512-VNNI). The arithmetic is
// generic/quant_linear.cpp's, term for term:
//   * x is quantized per token and group of 32 exactly as kernels/quantize.h's
//     quantize_activation_q8 does (same scale function, same IEEE multiply, round half to even);
//   * each group's Σ w·x is an exact int32 (IV's tricks only change how it is reached);
//   * the group's term is float(dot) · (d_w · d_x), the same float as generic's, and the terms
//     of a block of kGroups groups are added lane-wise into one accumulator per (token, row)
//     with FMA, which a fixed tree reduces at the end. So the result differs from generic only
//     in summation order, and a (token, row) pair's arithmetic never depends on which tile or
//     thread range it falls in. (avx512_vnni's packed prefill, n ≥ 8, adds the same terms in
//     group order instead: avx512_vnni/prefill_impl.h.)
//
// Layout of the quantized activations (one token): kGroups-group blocks, zero-padded at the end
// (codes 0, scale 0: a padded group's term is exactly 0). Q8_0 weights meet the codes in their
// natural order. Q4_0 weights hold a group's elements 0..15 in low nibbles and 16..31 in high
// nibbles of the same 16 bytes, so for them each chunk of kBytes/16 groups is stored as the
// chunk's first halves, then its second halves: one register of nibbles then meets two
// registers of codes with no shuffling of weights (the activation-side reordering llama.cpp's
// repacked Q4_0 kernels do on the weight side instead).
//
// Expects: V, IV, and kQDecodeRows[2][5] (rows per tile for 1..4 tokens; [0] Q8_0, [1] Q4_0),
// kQPrefillRows (rows per tile for 4-token tiles), kPackedPrefill and kPackedMinTokens. The
// including file includes <immintrin.h>, <cstdint>, <cstdlib>, <cstring>, core/dtype.h,
// kernels/matrix.h and kernels/quantize.h.

constexpr int kGroups = V::kLanes;             // groups per block: one float lane per group
constexpr int kChunkGroups = IV::kBytes / 16;  // Q4_0 groups per register of nibbles
constexpr int64_t kGroupSize = 32;             // kQuantGroup
using FReg = V::Reg;
using IReg = IV::I;

inline int64_t qmin64(int64_t a, int64_t b) { return a < b ? a : b; }

// Quantized activations of n tokens (one allocation).
struct QActs {
  int8_t* codes;    // [n][blocks · kGroups · 32]
  float* scales;    // [n][blocks · kGroups]
  int32_t* offset;  // [n][blocks · kGroups]: the weight offset times Σ codes (see IV)
  int64_t padded;   // groups per token, a multiple of kGroups
  void* memory;
};

// chunked: the Q4_0 chunk layout above (else natural order); weight_offset: what the kernel
// adds to each weight code to make it unsigned (offset[] = weight_offset · Σ codes).
QActs quantize_acts(const float* x, int64_t n, int64_t cols, bool chunked, int32_t weight_offset) {
  const int64_t groups = cols / kGroupSize;
  QActs a;
  a.padded = (groups + kGroups - 1) / kGroups * kGroups;
  const size_t codes = size_t(n * a.padded * kGroupSize), lanes = size_t(n * a.padded);
  // 64-byte aligned, so no code load splits a cache line (aligned_alloc wants a size that is a
  // multiple of the alignment).
  a.memory =
      std::aligned_alloc(64, (codes + lanes * (sizeof(float) + sizeof(int32_t))) / 64 * 64 + 64);
  if (a.memory == nullptr) std::abort();
  a.codes = static_cast<int8_t*>(a.memory);
  a.scales = reinterpret_cast<float*>(a.codes + codes);
  a.offset = reinterpret_cast<int32_t*>(a.scales + lanes);
  for (int64_t t = 0; t < n; ++t) {
    int8_t* codes_t = a.codes + t * a.padded * kGroupSize;
    float* scales_t = a.scales + t * a.padded;
    int32_t* offset_t = a.offset + t * a.padded;
    const float* xt = x + t * cols;
    // Zero everything from the chunk holding the first padding group: Q4_0's chunk layout puts
    // padding slots between the last real group's halves.
    const int64_t zero_from =
        (chunked ? groups / kChunkGroups * kChunkGroups : groups) * kGroupSize;
    std::memset(codes_t + zero_from, 0, size_t(a.padded * kGroupSize - zero_from));
    for (int64_t g = 0; g < groups; ++g) {
      const ActivationScale s = q8_activation_scale(IV::group_amax(xt + g * kGroupSize));
      int8_t* first = codes_t + g * kGroupSize;
      int8_t* second = first + kGroupSize / 2;
      if (chunked) {  // chunk g / kChunkGroups: first halves, then second halves
        first = codes_t + (g / kChunkGroups) * 2 * IV::kBytes + (g % kChunkGroups) * 16;
        second = first + IV::kBytes;
      }
      offset_t[g] = weight_offset * IV::group_codes(xt + g * kGroupSize, s.inverse, first, second);
      scales_t[g] = s.d;
    }
    for (int64_t g = groups; g < a.padded; ++g) scales_t[g] = 0.0f, offset_t[g] = 0;
  }
  return a;
}

// The kGroups exact group dots of one block: weights w (Q8_0 codes or Q4_0 bytes), codes x.
// Written out rather than looped: GCC keeps a loop over a register array in memory.
inline IReg q4_part(const uint8_t* w, const int8_t* x, int k) {
  return IV::q4_dot(IV::load(w + k * IV::kBytes), IV::load(x + 2 * k * IV::kBytes),
                    IV::load(x + (2 * k + 1) * IV::kBytes));
}
inline IReg q8_part(const uint8_t* w, const int8_t* x, int k) {
  constexpr int B = IV::kBytes;
  return IV::pair(
      IV::q8_dot(IV::q8_prep(IV::load(w + 2 * k * B)), IV::load(x + 2 * k * B)),
      IV::q8_dot(IV::q8_prep(IV::load(w + (2 * k + 1) * B)), IV::load(x + (2 * k + 1) * B)));
}
template <bool kQ4>
inline IReg block_dot(const uint8_t* w, const int8_t* x) {
  if constexpr (kQ4) {
    return IV::reduce4(q4_part(w, x, 0), q4_part(w, x, 1), q4_part(w, x, 2), q4_part(w, x, 3));
  } else {
    return IV::reduce4(q8_part(w, x, 0), q8_part(w, x, 1), q8_part(w, x, 2), q8_part(w, x, 3));
  }
}

// How far ahead decode prefetches weights, in bytes summed over a tile's row streams. Decode
// streams the whole matrix once; the hardware prefetchers alone leave a single core well short
// of its read bandwidth, because each cache line is followed by many instructions of work (the
// out-of-order window covers only a few KiB of weights). Measured on Zen 5 (8192 x 7168, one
// thread): 8 KiB ahead took decode from ~65% to 80-100% of the streaming-read rate; 2 KiB
// helped less.
constexpr int kPrefetchBytes = 8192;

// One block for T tokens × R rows: w[r], s[r] point at the rows' block (codes, f16 scales),
// g0 is the block's first group (indexes the activations).
template <bool kQ4, int T, int R, bool kPrefetch>
inline void block_tile(const uint8_t* const* w, const uint16_t* const* s, const QActs& a,
                       int64_t t0, int64_t g0, FReg (&acc)[T][R]) {
  constexpr bool kOffset = kQ4 || IV::kQ8Offset != 0;
  if constexpr (kPrefetch) {
    constexpr int kBlockBytes = kGroups * (kQ4 ? 16 : 32), kAhead = kPrefetchBytes / R;
    // Addresses in integer arithmetic: near the end of a matrix (or of a padded copy of its last
    // block) they lie past the object, where forming a pointer is undefined; a prefetch of any
    // address never faults.
    for (int r = 0; r < R; ++r) {
      const uintptr_t wp = reinterpret_cast<uintptr_t>(w[r]) + kAhead;
      for (int line = 0; line < kBlockBytes; line += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(wp + uintptr_t(line)), _MM_HINT_T0);
      }
      // The scales run ahead at the same rate: 2 bytes per 16 (Q4_0) or 32 (Q8_0) code bytes.
      const uintptr_t sp = reinterpret_cast<uintptr_t>(s[r]) + kAhead / (kBlockBytes / kGroups / 2);
      _mm_prefetch(reinterpret_cast<const char*>(sp), _MM_HINT_T0);
    }
  }
  for (int r = 0; r < R; ++r) {
    const FReg w_scale = V::load_f16(s[r]);
    for (int t = 0; t < T; ++t) {
      const int64_t lane = (t0 + t) * a.padded + g0;
      IReg dot = block_dot<kQ4>(w[r], a.codes + lane * kGroupSize);
      if constexpr (kOffset) dot = IV::sub(dot, IV::load(a.offset + lane));
      acc[t][r] = V::fma(IV::to_float(dot), V::mul(w_scale, V::load(a.scales + lane)), acc[t][r]);
    }
  }
}

// y[t · y_stride + r] for T tokens from t0 and the R rows starting at `row`.
template <bool kQ4, int T, int R, bool kPrefetch>
void qdot_tile(const MatrixRef& w, int64_t row, const QActs& a, int64_t t0, float* y,
               int64_t y_stride) {
  constexpr int64_t kRowBlockBytes = kGroups * (kQ4 ? kGroupSize / 2 : kGroupSize);
  const int64_t groups = w.cols / kGroupSize, full = groups / kGroups, tail = groups % kGroups;
  const int64_t stride = kQ4 ? w.cols / 2 : w.cols;
  const uint8_t* wr[R];
  const uint16_t* sr[R];
  for (int r = 0; r < R; ++r) {
    wr[r] = static_cast<const uint8_t*>(w.data) + (row + r) * stride;
    sr[r] = w.group_scales + (row + r) * groups;
  }
  FReg acc[T][R];
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) acc[t][r] = V::zero();
  for (int64_t b = 0; b < full; ++b) {
    const uint8_t* wb[R];
    const uint16_t* sb[R];
    for (int r = 0; r < R; ++r) wb[r] = wr[r] + b * kRowBlockBytes, sb[r] = sr[r] + b * kGroups;
    block_tile<kQ4, T, R, kPrefetch>(wb, sb, a, t0, b * kGroups, acc);
  }
  if (tail > 0) {  // the last partial block from zero-padded copies (padded terms are 0)
    alignas(64) uint8_t wpad[R][kRowBlockBytes];
    alignas(64) uint16_t spad[R][kGroups];
    const uint8_t* wb[R];
    const uint16_t* sb[R];
    const int64_t tail_bytes = tail * (kRowBlockBytes / kGroups);
    for (int r = 0; r < R; ++r) {
      std::memset(wpad[r], 0, sizeof wpad[r]);
      std::memset(spad[r], 0, sizeof spad[r]);
      std::memcpy(wpad[r], wr[r] + full * kRowBlockBytes, size_t(tail_bytes));
      std::memcpy(spad[r], sr[r] + full * kGroups, size_t(tail) * sizeof(uint16_t));
      wb[r] = wpad[r], sb[r] = spad[r];
    }
    block_tile<kQ4, T, R, kPrefetch>(wb, sb, a, t0, full * kGroups, acc);
  }
  for (int t = 0; t < T; ++t)
    for (int r = 0; r < R; ++r) y[t * y_stride + row + r] = V::reduce_add(acc[t][r]);
}

// Tokens [t0, t0 + T) × rows [r0, r1): tiles of R rows, then single rows.
template <bool kQ4, int T, int R, bool kPrefetch>
void qdot_token_block(const QActs& a, int64_t t0, const MatrixRef& w, float* y, int64_t r0,
                      int64_t r1) {
  float* yt = y + t0 * w.rows;
  int64_t r = r0;
  for (; r + R <= r1; r += R) qdot_tile<kQ4, T, R, kPrefetch>(w, r, a, t0, yt, w.rows);
  for (; r < r1; ++r) qdot_tile<kQ4, T, 1, kPrefetch>(w, r, a, t0, yt, w.rows);
}

// Prefill on a packed weight layout, where the ISA has one (avx512_vnni/prefill_impl.h, for
// n ≥ kPackedMinTokens; kPackedPrefill says whether this build defines it).
template <bool kQ4>
void packed_prefill(const QActs& a, const MatrixRef& w, float* y, int64_t n, int64_t r0,
                    int64_t r1);

template <bool kQ4>
void quant_linear_rows_typed(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                             int64_t r1) {
  // Every range call quantizes all n tokens itself (n · cols work against n · cols · rows/threads
  // for the dots), which keeps each output's arithmetic inside one call.
  const int32_t weight_offset = kQ4 ? 8 : IV::kQ8Offset;
  if constexpr (kPackedPrefill) {
    if (n >= kPackedMinTokens) {
      const QActs a = quantize_acts(x, n, w.cols, false, weight_offset);
      packed_prefill<kQ4>(a, w, y, n, r0, r1);
      std::free(a.memory);
      return;
    }
  }
  const QActs a = quantize_acts(x, n, w.cols, kQ4, weight_offset);
  switch (n) {
    case 1:
      qdot_token_block<kQ4, 1, kQDecodeRows[kQ4][1], true>(a, 0, w, y, r0, r1);
      break;
    case 2:
      qdot_token_block<kQ4, 2, kQDecodeRows[kQ4][2], true>(a, 0, w, y, r0, r1);
      break;
    case 3:
      qdot_token_block<kQ4, 3, kQDecodeRows[kQ4][3], true>(a, 0, w, y, r0, r1);
      break;
    case 4:
      qdot_token_block<kQ4, 4, kQDecodeRows[kQ4][4], true>(a, 0, w, y, r0, r1);
      break;
    default: {
      // Prefill: token super-blocks whose codes (~cols bytes a token) fit 256 KiB of L2, row tiles
      // outermost within one so the tile's weight rows are reused from L1 by every 4-token tile.
      const int64_t super = qmin64(n, 4 * (1 + (int64_t(1) << 18) / (4 * w.cols)));
      for (int64_t s0 = 0; s0 < n; s0 += super) {
        const int64_t s1 = qmin64(s0 + super, n);
        for (int64_t rb = r0; rb < r1; rb += kQPrefillRows) {
          const int64_t re = qmin64(rb + kQPrefillRows, r1);
          int64_t t = s0;
          for (; t + 4 <= s1; t += 4)
            qdot_token_block<kQ4, 4, kQPrefillRows, false>(a, t, w, y, rb, re);
          switch (s1 - t) {
            case 1:
              qdot_token_block<kQ4, 1, kQPrefillRows, false>(a, t, w, y, rb, re);
              break;
            case 2:
              qdot_token_block<kQ4, 2, kQPrefillRows, false>(a, t, w, y, rb, re);
              break;
            case 3:
              qdot_token_block<kQ4, 3, kQPrefillRows, false>(a, t, w, y, rb, re);
              break;
            default:
              break;
          }
        }
      }
    }
  }
  std::free(a.memory);
}

void quant_linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                       int64_t r1) {
  if (n <= 0 || r1 <= r0) return;
  if (w.dtype == DType::kQ4_0) return quant_linear_rows_typed<true>(x, n, w, y, r0, r1);
  quant_linear_rows_typed<false>(x, n, w, y, r0, r1);
}
