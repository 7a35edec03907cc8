// bf16_gemm.h: packing against plain index arithmetic, the scalar reference against double
// precision, and the vdpbf16ps kernel (where this CPU has it) against the reference and across
// thread counts. Bounds: a block's k-term fp32 sum of exact products is within k·u·Σ|terms| of
// the exact sum (u = 2^-24; Higham §3.1); promotion adds a rounding of the scale product and one
// of the fma, each ≤ u of the running magnitude. Two fp32 orders differ by at most twice that.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "core/thread_pool.h"
#include "kernels/bf16_gemm.h"

namespace fathom {
namespace {

struct Case {
  int64_t m, n, k, block_k;
  bool a_as_pairs;  // a packed by bf16_pack_pairs from its transpose, as the weight gradient does
};

// A random problem: bf16-exact values (or E4M3 codes for scaled cases) and per-tile scales.
struct Problem {
  Case c;
  std::vector<float> a, b;  // a [m, k], b [k, n] (as float values)
  std::vector<uint16_t> a_bits, b_bits;  // scaled cases: bf16 bits of E4M3 values
  std::vector<float> a_scales, b_scales;  // [m, k_blocks], [k_blocks, n_padded]
  std::vector<uint16_t> a_packed, b_packed;

  int64_t k_blocks() const {
    return c.block_k > 0 ? (bf16_k_padded(c.k) + c.block_k - 1) / c.block_k : 0;
  }

  explicit Problem(Case cs, uint32_t seed) : c(cs) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    const bool scaled = c.block_k > 0;
    auto fill = [&](std::vector<float>& v, std::vector<uint16_t>& bits, int64_t count) {
      v.resize(size_t(count));
      bits.resize(size_t(count));
      for (int64_t i = 0; i < count; ++i) {
        if (scaled) {
          uint8_t code;
          do code = uint8_t(rng()); while ((code & 0x7f) == 0x7f);  // no NaN codes
          v[size_t(i)] = fp8_e4m3_to_f32(code);
          bits[size_t(i)] = f32_to_bf16(v[size_t(i)]);
        } else {
          v[size_t(i)] = bf16_to_f32(f32_to_bf16(u(rng)));
        }
      }
    };
    fill(a, a_bits, c.m * c.k);
    fill(b, b_bits, c.k * c.n);
    if (scaled) {
      std::uniform_real_distribution<float> s(0.001f, 0.1f);
      a_scales.resize(size_t(c.m * k_blocks()));
      for (float& x : a_scales) x = s(rng);
      b_scales.assign(size_t(k_blocks() * bf16_n_padded(c.n)), 0.0f);
      for (int64_t kb = 0; kb < k_blocks(); ++kb)
        for (int64_t j = 0; j < c.n; ++j) b_scales[size_t(kb * bf16_n_padded(c.n) + j)] = s(rng);
    }
    const Bf16Source a_src = scaled ? Bf16Source{nullptr, a_bits.data()} : Bf16Source{a.data(), nullptr};
    const Bf16Source b_src = scaled ? Bf16Source{nullptr, b_bits.data()} : Bf16Source{b.data(), nullptr};
    if (c.a_as_pairs) {
      // The source of a as [k, m] (its transpose), packed like b.
      std::vector<float> at(a.size());
      std::vector<uint16_t> at_bits(a.size());
      for (int64_t i = 0; i < c.m; ++i) {
        for (int64_t kk = 0; kk < c.k; ++kk) {
          at[size_t(kk * c.m + i)] = a[size_t(i * c.k + kk)];
          if (scaled) at_bits[size_t(kk * c.m + i)] = a_bits[size_t(i * c.k + kk)];
        }
      }
      bf16_pack_pairs(scaled ? Bf16Source{nullptr, at_bits.data()} : Bf16Source{at.data(), nullptr},
                      c.k, c.m, false, a_packed);
    } else {
      bf16_pack_rows(a_src, c.m, c.k, a_packed);
    }
    bf16_pack_pairs(b_src, c.k, c.n, false, b_packed);
  }

  Bf16Gemm gemm(std::vector<float>& y) const {
    y.assign(size_t(c.m * c.n), -7.0f);  // overwritten
    Bf16Gemm g;
    g.a = a_packed.data();
    g.a_pairs = c.a_as_pairs;
    g.b = b_packed.data();
    g.m = c.m;
    g.n = c.n;
    g.k = c.k;
    g.block_k = c.block_k;
    g.a_scales = a_scales.data();
    g.b_scales = b_scales.data();
    g.y = y.data();
    return g;
  }

  // Exact result (double) and the bound Σ over blocks of scale·Σ|terms| per element.
  void exact(int64_t i, int64_t j, double* value, double* magnitude) const {
    *value = 0;
    *magnitude = 0;
    const int64_t block = c.block_k > 0 ? c.block_k : kBf16UnscaledBlock;
    for (int64_t k0 = 0; k0 < c.k; k0 += block) {
      double sum = 0, mag = 0;
      for (int64_t kk = k0; kk < std::min(k0 + block, c.k); ++kk) {
        const double t = double(a[size_t(i * c.k + kk)]) * b[size_t(kk * c.n + j)];
        sum += t;
        mag += std::fabs(t);
      }
      double scale = 1;
      if (c.block_k > 0) {
        scale = double(a_scales[size_t(i * k_blocks() + k0 / block)]) *
                b_scales[size_t((k0 / block) * bf16_n_padded(c.n) + j)];
      }
      *value += scale * sum;
      *magnitude += std::fabs(scale) * mag;
    }
  }
};

const Case kCases[] = {{1, 1, 1, 0, false},      {5, 17, 7, 0, false},    {67, 80, 300, 0, false},
                       {4, 130, 128, 0, false},   {3, 16, 0, 0, false},    {9, 33, 129, 128, false},
                       {70, 65, 256, 128, false}, {130, 20, 300, 128, false},
                       {2, 1, 5, 128, false},     {37, 70, 201, 0, true},  {19, 40, 300, 128, true},
                       {150, 140, 260, 128, true}};

TEST(Bf16Gemm, PackRowsPadsToAnEvenLength) {
  for (const int64_t k : {7, 40}) {
    const int64_t m = 5, kp = bf16_k_padded(k);
    std::vector<float> src(size_t(m * k));
    for (size_t i = 0; i < src.size(); ++i) src[i] = float(i) * 1.001f - 10.25f;
    std::vector<uint16_t> packed, from_bits;
    bf16_pack_rows(Bf16Source{src.data(), nullptr}, m, k, packed);
    ASSERT_EQ(packed.size(), size_t(m * kp));
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t kk = 0; kk < k; ++kk)
        EXPECT_EQ(packed[size_t(i * kp + kk)], f32_to_bf16(src[size_t(i * k + kk)]));
      if (kp > k) {
        EXPECT_EQ(packed[size_t(i * kp + k)], 0);
      }
    }
    // bf16 bits are copied as they are.
    std::vector<uint16_t> bits(src.size());
    for (size_t i = 0; i < src.size(); ++i) bits[i] = f32_to_bf16(src[i]);
    bf16_pack_rows(Bf16Source{nullptr, bits.data()}, m, k, from_bits);
    EXPECT_EQ(packed, from_bits);
  }
}

TEST(Bf16Gemm, PackPairsInterleavesPairsOfRows) {
  for (const int64_t k : {5, 70}) {
    for (const int64_t n : {19, 48, 150}) {
      const int64_t kp = bf16_k_padded(k), np = bf16_n_padded(n);
      std::vector<float> src(size_t(k * n));
      for (size_t i = 0; i < src.size(); ++i) src[i] = 0.5f * float(i) + 1.0f;
      std::vector<uint16_t> packed, packed_t;
      bf16_pack_pairs(Bf16Source{src.data(), nullptr}, k, n, false, packed);
      ASSERT_EQ(packed.size(), size_t(kp * np));
      // The same matrix given transposed: src_t[j, kk] = src[kk, j].
      std::vector<float> src_t(src.size());
      for (int64_t kk = 0; kk < k; ++kk)
        for (int64_t j = 0; j < n; ++j) src_t[size_t(j * k + kk)] = src[size_t(kk * n + j)];
      bf16_pack_pairs(Bf16Source{src_t.data(), nullptr}, k, n, true, packed_t);
      EXPECT_EQ(packed, packed_t) << k << "x" << n;
      for (int64_t kk = 0; kk < kp; ++kk) {
        for (int64_t j = 0; j < np; ++j) {
          const uint16_t want = kk < k && j < n ? f32_to_bf16(src[size_t(kk * n + j)]) : 0;
          ASSERT_EQ(packed[size_t(bf16_pair_offset(kk / 2 * 2, j, kp, np) + kk % 2)], want)
              << kk << "," << j;
        }
      }
    }
  }
}

TEST(Bf16Gemm, ReferenceMatchesExactArithmetic) {
  uint32_t seed = 1;
  for (const Case& c : kCases) {
    const Problem p(c, seed++);
    std::vector<float> y, y_acc;
    bf16_gemm_reference(p.gemm(y));
    // With accumulate, y's old value goes first: from zero the result is the same.
    Bf16Gemm g_acc = p.gemm(y_acc);
    std::fill(y_acc.begin(), y_acc.end(), 0.0f);
    g_acc.accumulate = true;
    bf16_gemm_reference(g_acc);
    EXPECT_EQ(y, y_acc);
    const int64_t block = c.block_k > 0 ? c.block_k : kBf16UnscaledBlock;
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        double value, magnitude;
        p.exact(i, j, &value, &magnitude);
        const double bound = (double(block) + 3) * std::ldexp(1.0, -24) * magnitude + 1e-30;
        ASSERT_LE(std::fabs(y[size_t(i * c.n + j)] - value), bound)
            << "m=" << c.m << " n=" << c.n << " k=" << c.k << " at " << i << "," << j;
      }
    }
  }
}

TEST(Bf16Gemm, KernelMatchesReferenceAtAnyThreadCount) {
  if (!bf16_gemm_available()) GTEST_SKIP() << "no AVX-512 BF16 on this CPU (or FATHOM_ISA)";
  const int saved = num_threads();
  uint32_t seed = 100;
  for (const Case& c : kCases) {
    const Problem p(c, seed++);
    std::vector<float> want, one, three;
    bf16_gemm_reference(p.gemm(want));
    set_num_threads(1);
    bf16_gemm(p.gemm(one));
    set_num_threads(3);
    bf16_gemm(p.gemm(three));
    EXPECT_EQ(one, three) << "m=" << c.m << " n=" << c.n << " k=" << c.k;
    // accumulate: the same sums continued from y's value, in the same order as the reference.
    std::vector<float> base_want, base_got;
    Bf16Gemm g_want = p.gemm(base_want), g_got = p.gemm(base_got);
    for (size_t i = 0; i < base_want.size(); ++i) base_want[i] = base_got[i] = 0.25f * float(i % 7);
    g_want.accumulate = g_got.accumulate = true;
    bf16_gemm_reference(g_want);
    bf16_gemm(g_got);
    for (size_t i = 0; i < base_want.size(); ++i) {
      ASSERT_NEAR(base_got[i], base_want[i], 1e-4 * (1 + std::fabs(base_want[i])));
    }
    const int64_t block = c.block_k > 0 ? c.block_k : kBf16UnscaledBlock;
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        double value, magnitude;
        p.exact(i, j, &value, &magnitude);
        const double bound = 2 * (double(block) + 3) * std::ldexp(1.0, -24) * magnitude + 1e-30;
        ASSERT_LE(std::fabs(double(one[size_t(i * c.n + j)]) - want[size_t(i * c.n + j)]), bound)
            << "m=" << c.m << " n=" << c.n << " k=" << c.k << " at " << i << "," << j;
      }
    }
  }
  set_num_threads(saved);
}

}  // namespace
}  // namespace fathom
