// A GEMM on bf16 operands with fp32 sums, for the bf16 and FP8 mixed-precision training GEMMs
// (train/ops.h; DeepSeek-V3 report §3.3): y[m, n] = Σ_k a[m, k] · b[k, n].
//
// The products run on the bf16 dot-product units (AVX-512 BF16 vdpbf16ps: pairs of bf16
// products summed into fp32 lanes) where the CPU has them; bf16_gemm_available() says whether it
// does. A bf16·bf16 product is exact in fp32, and every E4M3 value is a bf16 value, so FP8 codes
// run on the same units unchanged. With fine-grained scales (block_k > 0) the sums restart from
// zero every block_k values of k, and each block's partial sum is added to y in fp32 times
// a_scale(i, block) · b_scale(block, j): the report's "promotion to CUDA cores" every 128
// products, with the scales of its 1x128 / 128x1 tiles and 128x128 blocks.
//
// Operands are packed first (b with pairs of k interleaved, the layout vdpbf16ps consumes; a
// as rows or in the same pair layout), from float values or from bf16 bits. Values already
// representable in bf16 (bf16-rounded or E4M3 inputs) pack exactly; others round to nearest
// even (on the AVX-512 path, vcvtneps2bf16 also flushes fp32 subnormals to zero).
//
// Determinism: every y element is one chain of pair products over k in order, blocks promoted
// in order; threads split rows and columns only, so results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <vector>

namespace fathom {

// Row length of a packed a (k rounded up to even) and column count of a packed b (n rounded up
// to a whole 16-lane vector); the padding is zeros.
inline int64_t bf16_k_padded(int64_t k) { return (k + 1) / 2 * 2; }
inline int64_t bf16_n_padded(int64_t n) { return (n + 15) / 16 * 16; }

constexpr int64_t kBf16UnscaledBlock = 128;

// bf16_pack_pairs' column panels: 64 columns, the last one narrower (n_padded − 64·P).
constexpr int64_t kBf16Panel = 64;

// Offset (uint16_t elements) of the pair holding b[kk, j] (kk even) in bf16_pack_pairs' layout.
inline int64_t bf16_pair_offset(int64_t kk, int64_t j, int64_t k_padded, int64_t n_padded) {
  const int64_t panel = j / kBf16Panel, first = panel * kBf16Panel;
  const int64_t width = n_padded - first < kBf16Panel ? n_padded - first : kBf16Panel;
  return first * k_padded + ((kk / 2) * width + (j - first)) * 2;
}

struct Bf16Gemm {
  // a[m, k]: rows from bf16_pack_rows, or (a_pairs) bf16_pack_pairs of its [k, m] transpose.
  const uint16_t* a = nullptr;
  bool a_pairs = false;
  const uint16_t* b = nullptr;  // bf16_pack_pairs layout
  int64_t m = 0, n = 0, k = 0;
  // Fine-grained scales, used when block_k > 0 (even): a_scales[i · k_blocks + kb] and
  // b_scales[kb · n_padded + j], k_blocks = ceil(k / block_k). Without them the sums are
  // promoted the same way every kBf16UnscaledBlock values of k, with scale 1.
  int64_t block_k = 0;
  const float* a_scales = nullptr;
  const float* b_scales = nullptr;
  float* y = nullptr;  // [m, n]: overwritten, or with `accumulate` added to (its value first)
  bool accumulate = false;
};

// Source of a pack: float values (rounded to nearest even), or bf16 bits (copied).
struct Bf16Source {
  const float* values = nullptr;
  const uint16_t* bf16 = nullptr;
};

// dst[m, k_padded] ← src[m, k] as bf16 rows, zero-padded. dst is resized.
void bf16_pack_rows(Bf16Source src, int64_t m, int64_t k, std::vector<uint16_t>& dst);
// dst ← b[k, n] with pairs of k interleaved, in column panels of kBf16Panel: each panel holds
// k_padded / 2 rows of pairs, a row being the panel's columns (b[kk, j], b[kk + 1, j]) one after
// the other (bf16_pair_offset), so the part of b a GEMM tile reads is one contiguous stream.
// b[kk, j] = src[kk, j] (src [k, n]) or, with `transposed`, src[j, kk] (src [n, k]).
// Zero-padded to k_padded × n_padded; dst is resized.
void bf16_pack_pairs(Bf16Source src, int64_t k, int64_t n, bool transposed,
                     std::vector<uint16_t>& dst);

// FP8 operands for the bf16 units: out[c] = bf16 bits of the E4M3 value nearest to
// x[c] / scale[c] (IEEE division; ties to even, subnormals in steps of 2^-9, ±448 beyond the
// range, ±inf included; NaN stays a NaN). Exact: every E4M3 value is a bf16 value.
void bf16_round_e4m3(const float* x, const float* scale, int64_t count, uint16_t* out);
// colmax[c] = max(colmax[c], |src[r, c]| for r < rows), src rows `cols` floats apart; NaN
// elements are skipped. The amax of fine-grained FP8 tiles.
void absmax_columns(const float* src, int64_t rows, int64_t cols, float* colmax);

// Whether bf16_gemm runs on bf16 units here (AVX-512 BF16 and the avx512 kernel level selected).
bool bf16_gemm_available();
// Runs g across the thread pool. Requires bf16_gemm_available().
void bf16_gemm(const Bf16Gemm& g);
// The same arithmetic in portable scalar code (per lane: the odd product, then the even one,
// each added in fp32, as vdpbf16ps defines it): the reference the tests hold bf16_gemm to.
void bf16_gemm_reference(const Bf16Gemm& g);

}  // namespace fathom
