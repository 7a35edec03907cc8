// bf16_gemm.h: operand packing, the scalar reference and the thread split (baseline code); the
// vdpbf16ps tiles are in avx512_bf16/bf16_gemm.cpp.
#include "kernels/bf16_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/dtype.h"
#include "core/thread_pool.h"
#include "kernels/isa.h"
#include "kernels/row_kernels.h"

namespace fathom {
namespace {

// Below this many elements a pack runs on the calling thread.
constexpr int64_t kMinParallelPack = int64_t(1) << 14;

// Element readers giving bf16 bits, one type per source kind so the portable pack loops below
// compile without a per-element branch.
struct FloatReader {
  const float* values;
  uint16_t operator()(int64_t i) const { return f32_to_bf16(values[i]); }
};
struct Bf16Reader {
  const uint16_t* bits;
  uint16_t operator()(int64_t i) const { return bits[i]; }
};

template <typename F>
void with_reader(Bf16Source src, F&& f) {
  if (src.bf16 != nullptr) return f(Bf16Reader{src.bf16});
  f(FloatReader{src.values});
}

inline uint32_t pair_bits(uint16_t even, uint16_t odd) { return uint32_t(even) | uint32_t(odd) << 16; }

// The bf16 bits of the E4M3 value nearest to y (see bf16_round_e4m3), by float bit arithmetic.
uint16_t e4m3_round_bits(float y) {
  const uint32_t u = bits_from_f32(y), a = u & 0x7fffffffu, sign = u & 0x80000000u;
  uint32_t r;
  if (a > 0x7f800000u) {
    r = 0x7fc00000u;  // NaN
  } else if (a < 0x3c800000u) {
    // Below 2^-6, E4M3's smallest normal: the nearest multiple of 2^-9 (|y|·512 is exact and
    // below 8; adding and removing 2^23 rounds it to an integer, ties to even).
    const float q = (f32_from_bits(a) * 512.0f + 8388608.0f) - 8388608.0f;
    r = bits_from_f32(q * (1.0f / 512.0f));
  } else {
    // Keep 3 of the 23 mantissa bits, ties to even (a carry bumps the exponent, as it should);
    // beyond 448, E4M3's largest finite value, saturate.
    r = std::min((a + 0x7ffffu + ((a >> 20) & 1u)) & 0xfff00000u, 0x43e00000u);
  }
  return uint16_t((r | sign) >> 16);
}

template <typename F>
void parallel_rows(int64_t rows, int64_t work, F&& f) {
  if (work < kMinParallelPack) {
    if (rows > 0) f(int64_t(0), rows);
    return;
  }
  parallel_for(rows, 1, f);
}

}  // namespace

void bf16_pack_rows(Bf16Source src, int64_t m, int64_t k, std::vector<uint16_t>& dst) {
  const int64_t kp = bf16_k_padded(k);
  dst.resize(size_t(m * kp));
  uint16_t* out = dst.data();
  if (bf16_gemm_available()) {
    return parallel_rows(m, m * k, [&](int64_t r0, int64_t r1) {
      detail::avx512_bf16_pack_rows(src, k, r0, r1, out);
    });
  }
  with_reader(src, [&](auto get) {
    parallel_rows(m, m * k, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t kk = 0; kk < k; ++kk) out[i * kp + kk] = get(i * k + kk);
        if (kp > k) out[i * kp + k] = 0;
      }
    });
  });
}

void bf16_pack_pairs(Bf16Source src, int64_t k, int64_t n, bool transposed,
                     std::vector<uint16_t>& dst) {
  const int64_t kp = bf16_k_padded(k), np = bf16_n_padded(n), pairs = kp / 2;
  dst.resize(size_t(kp * np));
  uint16_t* out = dst.data();
  if (bf16_gemm_available()) {
    if (!transposed) {
      return parallel_rows(pairs, k * n, [&](int64_t p0, int64_t p1) {
        detail::avx512_bf16_pack_pairs(src, k, n, p0, p1, out);
      });
    }
    return parallel_rows((pairs + 15) / 16, k * n, [&](int64_t b0, int64_t b1) {
      detail::avx512_bf16_pack_pairs_transposed(src, k, n, 16 * b0, std::min(16 * b1, pairs), out);
    });
  }
  // Written as 32-bit pairs (memcpy'd: the vector holds uint16_t).
  auto store = [out](int64_t index, uint32_t bits) { std::memcpy(out + 2 * index, &bits, 4); };
  with_reader(src, [&](auto get) {
    // Element (kk, j) of b in the source.
    auto at = [&](int64_t kk, int64_t j) {
      if (kk >= k || j >= n) return uint16_t(0);
      return get(transposed ? j * k + kk : kk * n + j);
    };
    parallel_rows(pairs, k * n, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        for (int64_t j = 0; j < np; ++j) {
          store(bf16_pair_offset(2 * p, j, kp, np) / 2, pair_bits(at(2 * p, j), at(2 * p + 1, j)));
        }
      }
    });
  });
}

void bf16_round_e4m3(const float* x, const float* scale, int64_t count, uint16_t* out) {
  if (bf16_gemm_available()) return detail::avx512_bf16_round_e4m3(x, scale, count, out);
  for (int64_t c = 0; c < count; ++c) out[c] = e4m3_round_bits(x[c] / scale[c]);
}

void absmax_columns(const float* src, int64_t rows, int64_t cols, float* colmax) {
  if (bf16_gemm_available()) return detail::avx512_absmax_columns(src, rows, cols, colmax);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const float a = std::fabs(src[r * cols + c]);
      colmax[c] = a > colmax[c] ? a : colmax[c];  // false for NaN: skipped
    }
  }
}

bool bf16_gemm_available() {
  static const bool available = [] {
    const Isa isa = selected_isa();
    return (isa == Isa::kAvx512 || isa == Isa::kAmx) && cpu_features().avx512_bf16;
  }();
  return available;
}

void bf16_gemm(const Bf16Gemm& g) {
  if (g.m <= 0 || g.n <= 0) return;
  // Tasks of kGemmRows x kGemmCols outputs (detail::kBf16Gemm*), row blocks fastest so that
  // neighbouring tasks share a column panel of b.
  const int64_t row_blocks = (g.m + detail::kBf16GemmRows - 1) / detail::kBf16GemmRows;
  const int64_t col_blocks = (g.n + detail::kBf16GemmCols - 1) / detail::kBf16GemmCols;
  auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t i0 = (t % row_blocks) * detail::kBf16GemmRows;
      const int64_t j0 = (t / row_blocks) * detail::kBf16GemmCols;
      detail::avx512_bf16_gemm_tiles(g, i0, std::min(i0 + detail::kBf16GemmRows, g.m), j0,
                                     std::min(j0 + detail::kBf16GemmCols, g.n));
    }
  };
  if (g.m * g.n * g.k < (int64_t(1) << 16)) return run(0, row_blocks * col_blocks);
  parallel_for(row_blocks * col_blocks, 1, run);
}

void bf16_gemm_reference(const Bf16Gemm& g) {
  const int64_t kp = bf16_k_padded(g.k), np = bf16_n_padded(g.n);
  const int64_t block = g.block_k > 0 ? g.block_k : kBf16UnscaledBlock;
  const int64_t k_blocks = (kp + block - 1) / block;
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      float total = g.accumulate ? g.y[i * g.n + j] : 0.0f;
      for (int64_t kb = 0; kb < k_blocks; ++kb) {
        float acc = 0.0f;
        for (int64_t kk = kb * block; kk < std::min((kb + 1) * block, kp); kk += 2) {
          const uint16_t* b = g.b + bf16_pair_offset(kk, j, kp, np);
          const uint16_t* a = g.a_pairs ? g.a + bf16_pair_offset(kk, i, kp, bf16_n_padded(g.m))
                                        : g.a + i * kp + kk;
          acc += bf16_to_f32(a[1]) * bf16_to_f32(b[1]);
          acc += bf16_to_f32(a[0]) * bf16_to_f32(b[0]);
        }
        if (g.block_k > 0) {
          const float scale = g.a_scales[i * k_blocks + kb] * g.b_scales[kb * np + j];
          total = kb == 0 && !g.accumulate ? acc * scale : std::fma(acc, scale, total);
        } else {
          total = kb == 0 && !g.accumulate ? acc : total + acc;
        }
      }
      g.y[i * g.n + j] = total;
    }
  }
}

}  // namespace fathom
