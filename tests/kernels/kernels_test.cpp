// Every ISA kernel set this CPU supports against the generic reference (STYLE.md §6): one test
// body per kernel, instantiated over the supported levels. Tolerances come from the arithmetic:
// weights dequantize to the same floats in every set (checked bit for bit), so the only
// difference is float32 summation order. A k-term sum in any order is within k·u·Σ|terms| of
// the exact sum (u = 2^-24, Higham, "Accuracy and Stability of Numerical Algorithms" §3.1), so two
// orders differ by at most 2·k·u·Σ|x_i·w_i| — gemma's matmul_test bound.
//
// Q8_0/Q4_0 linear (generic/quant_linear.cpp) quantizes x per group of 32 and forms one exact
// int32 per group, so its k is the number of groups G, and the terms are those of the dequantized
// activations xq_i·d_x: every set is within (G + 6)·u·Σ|w_i·xq_i·d_x| of the exact integer math
// (checked directly), and two sets differ by at most 2·(G + 4)·u·Σ|w_i·xq_i·d_x|.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernel_case.h"
#include "kernels/kernels.h"
#include "core/quant_format.h"
#include "kernels/quantize.h"
#include "kernels/row_kernels.h"

namespace fathom {
namespace {

// One kernel set: a level, or the avx512 level as a CPU without VNNI runs it (its integer dots on
// AVX-512BW), so both paths are tested on a VNNI machine.
struct KernelSet {
  Isa isa;
  bool without_vnni;
  std::string name() const { return std::string(isa_name(isa)) + (without_vnni ? "_without_vnni" : ""); }
};
// Test names and messages print the set ("avx512"), not its bytes.
void PrintTo(const KernelSet& set, std::ostream* os) { *os << set.name(); }

std::vector<KernelSet> kernel_sets() {
  std::vector<KernelSet> sets;
  for (Isa isa : supported_isas()) sets.push_back({isa, false});
  if (isa_supported(Isa::kAvx512) && cpu_features().avx512_vnni) sets.push_back({Isa::kAvx512, true});
  return sets;
}

using testing::random_matrix;
using testing::random_vector;
constexpr double kU = 1.0 / (1 << 24);

struct Weights {
  DType dtype;
  int64_t block_rows, block_cols;  // FP8 only
  const char* name;
};
// FP8 16x48 and 8x20 blocks are not multiples of the 16-lane (48) or 8-lane (20) chunk: the
// unaligned paths.
const Weights kWeights[] = {{DType::kF32, 0, 0, "f32"},          {DType::kBF16, 0, 0, "bf16"},
                            {DType::kF16, 0, 0, "f16"},          {DType::kF8E4M3, 128, 128, "fp8"},
                            {DType::kF8E4M3, 16, 48, "fp8_16x48"}, {DType::kF8E4M3, 8, 20, "fp8_8x20"},
                            {DType::kQ8_0, 0, 0, "q8_0"},        {DType::kQ4_0, 0, 0, "q4_0"}};
const int64_t kShapes[][2] = {{1, 1}, {1, 7}, {3, 17}, {17, 130}, {33, 257}, {64, 256}, {130, 300}};
// Grouped formats need cols % 32 == 0. Group counts 1, 2, 3, 5, 17, 16, 33, 37: below one
// block (16 groups on avx512, 8 on avx2), whole blocks, and partial last blocks, including
// ones that end inside a Q4_0 activation chunk (4 groups on avx512, 2 on avx2); odd row counts
// leave single rows after the row tiles.
const int64_t kQuantShapes[][2] = {{1, 32},   {1, 64},   {3, 96},     {17, 160},
                                   {33, 544}, {64, 512}, {130, 1056}, {7, 1184}};
// 7 tokens: 4-token decode tiles plus 3; 10 and 64: avx512's packed VNNI prefill (n ≥ 8), with and
// without a partial token tile.
const int64_t kTokens[] = {1, 2, 3, 7, 10, 64};

std::vector<std::pair<int64_t, int64_t>> shapes_for(const Weights& wt) {
  std::vector<std::pair<int64_t, int64_t>> out;
  if (is_group_quantized(wt.dtype)) {
    for (const auto& s : kQuantShapes) out.emplace_back(s[0], s[1]);
  } else {
    for (const auto& s : kShapes) out.emplace_back(s[0], s[1]);
  }
  return out;
}
// Columns for a test that wants about `cols`: rounded up to a whole group for grouped formats.
int64_t cols_for(DType dtype, int64_t cols) {
  return is_group_quantized(dtype) ? (cols + kQuantGroup - 1) / kQuantGroup * kQuantGroup : cols;
}

// Largest |diff| / tolerance seen per (isa, op, dtype), printed at exit for the report.
std::map<std::string, std::pair<double, double>>& worst() {
  static std::map<std::string, std::pair<double, double>> w;
  return w;
}
class PrintWorst : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& [key, v] : worst()) {
      std::printf("[ max error ] %-34s abs %.3g  (%.3f of tolerance)\n", key.c_str(), v.first, v.second);
    }
  }
};
::testing::Environment* const print_worst = ::testing::AddGlobalTestEnvironment(new PrintWorst);

void note(const std::string& key, double diff, double tol) {
  auto& w = worst()[key];
  w.first = std::max(w.first, diff);
  w.second = std::max(w.second, diff / tol);
}

std::vector<float> dequantized(const MatrixRef& m) {
  std::vector<float> out(size_t(m.rows * m.cols));
  for (int64_t r = 0; r < m.rows; ++r) kernels_for(Isa::kGeneric).dequantize_row(m, r, &out[size_t(r * m.cols)]);
  return out;
}

class KernelTest : public ::testing::TestWithParam<KernelSet> {
 protected:
  const KernelTable& k() const {
    return GetParam().without_vnni ? detail::avx512_without_vnni_table() : kernels_for(GetParam().isa);
  }
  const KernelTable& ref() const { return kernels_for(Isa::kGeneric); }
};

TEST_P(KernelTest, DequantizeRowIsBitExact) {
  std::mt19937 rng(1);
  for (const Weights& wt : kWeights) {
    for (const auto& [rows, cols] : shapes_for(wt)) {
      auto m = random_matrix(wt.dtype, rows, cols, rng, wt.block_rows, wt.block_cols);
      std::vector<float> a(static_cast<size_t>(cols)), b(a.size());
      for (int64_t r = 0; r < rows; ++r) {
        ref().dequantize_row(m.ref, r, a.data());
        k().dequantize_row(m.ref, r, b.data());
        ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)))
            << wt.name << " row " << r << " of " << rows << "x" << cols;
      }
    }
  }
}

// x as the grouped-format linear sees it: each token's groups quantized by the reference
// activation quantizer and decoded exactly (xq_i · d_x, in double).
std::vector<double> quantized_activations(const std::vector<float>& x, int64_t n, int64_t cols) {
  const int64_t groups = cols / kQuantGroup;
  std::vector<int8_t> codes(static_cast<size_t>(cols));
  std::vector<float> scales(static_cast<size_t>(groups));
  std::vector<double> out(x.size());
  for (int64_t t = 0; t < n; ++t) {
    quantize_activation_q8(&x[size_t(t * cols)], cols, codes.data(), scales.data());
    for (int64_t c = 0; c < cols; ++c) {
      out[size_t(t * cols + c)] = double(codes[size_t(c)]) * double(scales[size_t(c / kQuantGroup)]);
    }
  }
  return out;
}

// Token 0's activations for grouped formats: ties of the rounding (group max 127, so the
// inverse scale is exactly 1 and k + 0.5 must round half to even), an all-zero group and a
// group below kActivationTiny (all codes 0).
void add_special_groups(std::vector<float>& x, int64_t cols) {
  for (int64_t c = 0; c < cols; ++c) {
    const int64_t g = c / kQuantGroup, i = c % kQuantGroup;
    if (g == 1) {
      x[size_t(c)] = 0.0f;
    } else if (g == 2) {
      x[size_t(c)] = i % 2 ? 1e-35f : -3e-31f;
    } else {
      x[size_t(c)] = i == 0 ? 127.0f : float(int(i % 9) - 4) + 0.5f;
    }
  }
}

// y = x·Wᵀ and y = x·W against generic, on whole matrices and on a row slice whose first row sits
// mid-way through an FP8 scale block (scale_row_offset), so rows find their blocks by offset.
void check_linear(const KernelTable& k, const KernelTable& ref, const MatrixRef& w,
                  const std::string& what, std::mt19937& rng) {
  const std::vector<float> wf = dequantized(w);
  const bool grouped = is_group_quantized(w.dtype);
  const std::string dtype_name = what.substr(0, what.find(' '));
  for (int64_t n : kTokens) {
    SCOPED_TRACE(what + " n=" + std::to_string(n));
    // linear: sum over cols (over groups of exact integer dots for grouped formats).
    auto x = random_vector(size_t(n * w.cols), rng);
    if (grouped) add_special_groups(x, w.cols);
    std::vector<double> xs(x.begin(), x.end());
    if (grouped) xs = quantized_activations(x, n, w.cols);
    std::vector<float> y(size_t(n * w.rows), NAN), y_ref(y.size(), NAN);
    ref.linear(x.data(), n, w, y_ref.data());
    k.linear(x.data(), n, w, y.data());
    const double k_terms = grouped ? double(w.cols / kQuantGroup + 4) : double(w.cols + 2);
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t r = 0; r < w.rows; ++r) {
        double s = 0, exact = 0;
        for (int64_t c = 0; c < w.cols; ++c) {
          const double term = xs[size_t(t * w.cols + c)] * wf[size_t(r * w.cols + c)];
          s += std::fabs(term);
          exact += term;
        }
        const double tol = 2.0 * k_terms * kU * s * (1.0 + 1e-6) + 1e-30;
        const double yk = y[size_t(t * w.rows + r)];
        const double diff = std::fabs(yk - y_ref[size_t(t * w.rows + r)]);
        note(std::string(k.isa) + " linear " + dtype_name, diff, tol);
        ASSERT_LE(diff, tol) << "t=" << t << " r=" << r;
        if (grouped) {  // and the reference itself against the exact integer arithmetic
          const double exact_tol = (k_terms + 2.0) * kU * s * (1.0 + 1e-6) + 1e-30;
          note(std::string(k.isa) + " linear " + dtype_name + " vs exact", std::fabs(yk - exact), exact_tol);
          ASSERT_LE(std::fabs(yk - exact), exact_tol) << "vs exact integer math, t=" << t << " r=" << r;
        }
      }
    }
    // linear_transposed: sum over rows (generic: separate multiply and add, 2 roundings a term).
    auto xt = random_vector(size_t(n * w.rows), rng);
    std::vector<float> z(size_t(n * w.cols), NAN), z_ref(z.size(), NAN);
    ref.linear_transposed(xt.data(), n, w, z_ref.data());
    k.linear_transposed(xt.data(), n, w, z.data());
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t c = 0; c < w.cols; ++c) {
        double s = 0;
        for (int64_t r = 0; r < w.rows; ++r) s += std::fabs(double(xt[size_t(t * w.rows + r)]) * wf[size_t(r * w.cols + c)]);
        const double tol = 2.0 * double(2 * w.rows + 2) * kU * s + 1e-30;
        const double diff = std::fabs(double(z[size_t(t * w.cols + c)]) - z_ref[size_t(t * w.cols + c)]);
        note(std::string(k.isa) + " linear_transposed " + dtype_name, diff, tol);
        ASSERT_LE(diff, tol) << "t=" << t << " c=" << c;
      }
    }
  }
}

TEST_P(KernelTest, LinearMatchesGeneric) {
  std::mt19937 rng(2);
  for (const Weights& wt : kWeights) {
    for (const auto& [rows, cols] : shapes_for(wt)) {
      auto m = random_matrix(wt.dtype, rows, cols, rng, wt.block_rows, wt.block_cols);
      check_linear(k(), ref(), m.ref,
                   std::string(wt.name) + " " + std::to_string(rows) + "x" + std::to_string(cols), rng);
    }
  }
}

TEST_P(KernelTest, LinearOnRowSliceMatchesGeneric) {
  std::mt19937 rng(3);
  for (const Weights& wt : kWeights) {
    auto m = random_matrix(wt.dtype, 300, cols_for(wt.dtype, 200), rng, wt.block_rows, wt.block_cols);
    // Rows [100, 170): crosses the FP8 row-block boundary at 128 (and several 16/8-row blocks);
    // grouped formats find the slice's codes and group scales by offset.
    MatrixRef s = row_slice(m.ref, 100, 70);
    check_linear(k(), ref(), s, std::string(wt.name) + " slice", rng);
  }
}

TEST_P(KernelTest, DotMatchesGeneric) {
  std::mt19937 rng(4);
  for (int64_t n : {1, 5, 8, 15, 16, 17, 63, 64, 65, 200, 1000, 7168}) {
    auto a = random_vector(size_t(n), rng), b = random_vector(size_t(n), rng);
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += std::fabs(double(a[size_t(i)]) * b[size_t(i)]);
    const double diff = std::fabs(double(k().dot(a.data(), b.data(), n)) - ref().dot(a.data(), b.data(), n));
    const double tol = 2.0 * double(n + 2) * kU * s;
    note(std::string(k().isa) + " dot", diff, tol);
    EXPECT_LE(diff, tol) << "n=" << n;
  }
}

TEST_P(KernelTest, RmsNormMatchesGeneric) {
  std::mt19937 rng(5);
  for (int64_t n : {1, 7, 16, 33, 256, 7168}) {
    auto x = random_vector(size_t(n), rng), w = random_vector(size_t(n), rng);
    std::vector<float> a(static_cast<size_t>(n)), b(a.size());
    ref().rms_norm(x.data(), w.data(), n, 1e-6f, a.data());
    k().rms_norm(x.data(), w.data(), n, 1e-6f, b.data());
    for (int64_t i = 0; i < n; ++i) {
      // Σx² of positive terms: relative error ≤ n·u per order; sqrt and divides add a few u.
      const double tol = (2.0 * double(n) + 8.0) * kU * std::fabs(double(a[size_t(i)]));
      const double diff = std::fabs(double(a[size_t(i)]) - b[size_t(i)]);
      note(std::string(k().isa) + " rms_norm", diff, tol);
      ASSERT_LE(diff, tol) << "n=" << n << " i=" << i;
    }
  }
}

TEST_P(KernelTest, SoftmaxMatchesGeneric) {
  std::mt19937 rng(6);
  for (int64_t n : {1, 2, 7, 16, 31, 100, 1000}) {
    for (float spread : {1.0f, 30.0f}) {
      auto x = random_vector(size_t(n), rng);
      for (float& v : x) v *= spread;
      if (n > 3) x[2] = -INFINITY;  // masked entries must give exactly 0
      std::vector<float> a = x, b = x;
      ref().softmax(a.data(), n);
      k().softmax(b.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        // exp within 2 ulp (Cephes expf) vs ≤ 1 ulp (libm); the sum of positive terms is within
        // n·u relative in either order. exp of arguments below -87.3 is 0 rather than a
        // subnormal: the 1e-37 absolute term.
        const double tol = (2.0 * double(n) + 8.0) * kU * std::fabs(double(a[size_t(i)])) + 1e-37;
        const double diff = std::fabs(double(a[size_t(i)]) - b[size_t(i)]);
        note(std::string(k().isa) + " softmax", diff, tol);
        ASSERT_LE(diff, tol) << "n=" << n << " i=" << i;
      }
      if (n > 3) {
        EXPECT_EQ(b[2], 0.0f);
      }
    }
  }
}

// Output rows (linear) and columns (linear_transposed) are split across threads, but each
// element's arithmetic happens in one thread in a fixed order: identical bits for any count.
TEST_P(KernelTest, ResultsDoNotDependOnThreadCount) {
  std::mt19937 rng(7);
  const int saved = num_threads();
  for (const Weights& wt : kWeights) {
    const int64_t cols = cols_for(wt.dtype, 301);
    auto m = random_matrix(wt.dtype, 203, cols, rng, wt.block_rows, wt.block_cols);
    for (int64_t n : {1, 3, 7, 10, 64}) {
      auto x = random_vector(size_t(n * cols), rng), xt = random_vector(size_t(n * 203), rng);
      std::vector<std::vector<float>> y, z;
      for (int threads : {1, 2, 3}) {
        set_num_threads(threads);
        y.emplace_back(size_t(n * 203));
        z.emplace_back(size_t(n * cols));
        k().linear(x.data(), n, m.ref, y.back().data());
        k().linear_transposed(xt.data(), n, m.ref, z.back().data());
      }
      for (size_t i = 1; i < y.size(); ++i) {
        EXPECT_EQ(0, std::memcmp(y[0].data(), y[i].data(), y[0].size() * sizeof(float))) << wt.name << " n=" << n;
        EXPECT_EQ(0, std::memcmp(z[0].data(), z[i].data(), z[0].size() * sizeof(float))) << wt.name << " n=" << n;
      }
    }
  }
  set_num_threads(saved);
}

INSTANTIATE_TEST_SUITE_P(SupportedIsas, KernelTest, ::testing::ValuesIn(kernel_sets()),
                         [](const ::testing::TestParamInfo<KernelSet>& p) { return p.param.name(); });

}  // namespace
}  // namespace fathom
