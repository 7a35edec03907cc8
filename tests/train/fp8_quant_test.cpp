// FP8 mixed-precision GEMM inputs (label `unit`): the E4M3 encoder against the format's
// definition and core/dtype.h's reference encoder, the fine-grained tile scales of the
// DeepSeek-V3 report §3.3.2, and linear_forward / linear_backward in bf16 and fp8 mode against a
// double-precision product of inputs quantized here, independently of train/fp8_quant.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "train/fp8_quant.h"
#include "train/ops.h"

namespace fathom {
namespace {

using fp8::decode_e4m3;
using fp8::encode_e4m3;

TEST(E4M3, EveryCodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    EXPECT_EQ(encode_e4m3(decode_e4m3(uint8_t(c))), c) << "code " << c;
  }
  EXPECT_EQ(decode_e4m3(0x7e), 448.0f);
  EXPECT_EQ(decode_e4m3(0x01), std::ldexp(1.0f, -9));  // smallest subnormal
  EXPECT_EQ(encode_e4m3(-0.0f), 0x80);
}

TEST(E4M3, RoundsToNearestTiesToEven) {
  for (int c = 0; c < 0x7e; ++c) {  // consecutive finite positive codes c, c + 1
    const float lo = decode_e4m3(uint8_t(c)), hi = decode_e4m3(uint8_t(c + 1));
    const float mid = (lo + hi) / 2;  // exact: both have few significant bits
    const int even = c % 2 == 0 ? c : c + 1;
    EXPECT_EQ(encode_e4m3(mid), even) << "tie between codes " << c << " and " << c + 1;
    EXPECT_EQ(encode_e4m3(std::nextafter(mid, lo)), c);
    EXPECT_EQ(encode_e4m3(std::nextafter(mid, hi)), c + 1);
    EXPECT_EQ(encode_e4m3(-mid), 0x80 | even);
    EXPECT_EQ(encode_e4m3(-std::nextafter(mid, hi)), 0x80 | (c + 1));
  }
  EXPECT_EQ(encode_e4m3(std::ldexp(1.0f, -10)), 0x00);      // half the smallest subnormal
  EXPECT_EQ(encode_e4m3(3 * std::ldexp(1.0f, -10)), 0x02);  // 1.5 steps: to the even 2
  EXPECT_EQ(encode_e4m3(std::ldexp(1.0f, -30)), 0x00);
}

TEST(E4M3, SaturatesAndKeepsNaN) {
  for (float v : {448.0f, 449.0f, 464.0f, 480.0f, 1e30f, std::numeric_limits<float>::max(),
                  std::numeric_limits<float>::infinity()}) {
    EXPECT_EQ(encode_e4m3(v), 0x7e) << v;
    EXPECT_EQ(encode_e4m3(-v), 0xfe) << v;
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(encode_e4m3(nan), 0x7f);
  EXPECT_EQ(encode_e4m3(-nan), 0xff);
  EXPECT_TRUE(std::isnan(decode_e4m3(encode_e4m3(nan))));
}

TEST(E4M3, AgreesWithCoreEncoder) {
  // Every 509th float bit pattern (8.4M values over all exponents), NaN excluded: the core
  // encoder maps every NaN to 0x7f, this one keeps the sign.
  int64_t checked = 0;
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 509) {
    float v;
    const auto b = uint32_t(bits);
    std::memcpy(&v, &b, sizeof v);
    if (std::isnan(v)) continue;
    ASSERT_EQ(encode_e4m3(v), f32_to_fp8_e4m3(v)) << "bits " << std::hex << b;
    ++checked;
  }
  EXPECT_GT(checked, 8000000);
}

std::vector<float> random_matrix(int64_t rows, int64_t cols, uint32_t seed) {
  // Magnitudes spread over several binades per row so tiles get different scales.
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> m(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    const float row_scale = std::ldexp(1.0f, int(r % 7) - 3);
    for (int64_t c = 0; c < cols; ++c) m[size_t(r * cols + c)] = normal(rng) * row_scale;
  }
  return m;
}

TEST(Fp8Tiles, MaxOfEveryTileLandsOn448) {
  const int64_t rows = 200, cols = 300;
  std::vector<float> x = random_matrix(rows, cols, 3);
  for (int64_t c = 128; c < 256; ++c) x[size_t(5 * cols + c)] = 0.0f;  // one zero 1x128 tile
  for (fp8::TileShape t : {fp8::kActivationTile, fp8::kTokenTile, fp8::kWeightBlock}) {
    const int64_t tr = fp8::tiles(rows, t.rows), tc = fp8::tiles(cols, t.cols);
    std::vector<uint8_t> codes(x.size());
    std::vector<float> scales(size_t(tr * tc));
    fp8::quantize(x.data(), rows, cols, t, codes.data(), scales.data());
    for (int64_t i = 0; i < tr; ++i) {
      for (int64_t j = 0; j < tc; ++j) {
        float amax = 0.0f;
        int64_t at = -1;
        for (int64_t r = i * t.rows; r < std::min(rows, (i + 1) * t.rows); ++r) {
          for (int64_t c = j * t.cols; c < std::min(cols, (j + 1) * t.cols); ++c) {
            if (std::fabs(x[size_t(r * cols + c)]) > amax) {
              amax = std::fabs(x[size_t(r * cols + c)]);
              at = r * cols + c;
            }
          }
        }
        const float scale = scales[size_t(i * tc + j)];
        if (amax == 0.0f) {
          EXPECT_EQ(scale, 1.0f);
          continue;
        }
        EXPECT_EQ(scale, amax / 448.0f);
        EXPECT_EQ(codes[size_t(at)] & 0x7f, 0x7e) << "tile " << i << "," << j;
        EXPECT_FLOAT_EQ(decode_e4m3(codes[size_t(at)]) * scale, x[size_t(at)] > 0 ? amax : -amax);
      }
    }
    if (t.rows == 1) {  // the zero tile: scale 1, every code zero
      EXPECT_EQ(scales[size_t(5 * tc + 1)], 1.0f);
      for (int64_t c = 128; c < 256; ++c) EXPECT_EQ(codes[size_t(5 * cols + c)], 0);
    }
  }
}

// quantize_bf16 (the vector kernels' path to the bf16 units) against quantize (the scalar
// encoder): the same scales and, element by element, the bf16 bits of the same E4M3 value, on
// values spanning E4M3's normal, subnormal, tie and saturating cases plus zeros and NaN.
TEST(Fp8Tiles, Bf16ValuesAreTheCodesValues) {
  const int64_t rows = 150, cols = 270;
  std::vector<float> x = random_matrix(rows, cols, 11);
  std::mt19937 rng(5);
  for (size_t i = 0; i < x.size(); i += 3) {
    // Exact E4M3 values, midpoints between neighbours (ties), tiny and zero magnitudes.
    const float v = decode_e4m3(uint8_t(rng() % 0x7e));
    switch (rng() % 5) {
      case 0: x[i] = v; break;
      case 1: x[i] = -(v + decode_e4m3(uint8_t(std::min<int>(0x7e, encode_e4m3(v) + 1)))) / 2; break;
      case 2: x[i] = v * 1e-6f; break;
      case 3: x[i] = 0.0f; break;
      default: break;
    }
  }
  x[17] = std::numeric_limits<float>::quiet_NaN();
  x[size_t(3 * cols + 200)] = -0.0f;
  for (fp8::TileShape t : {fp8::kActivationTile, fp8::kTokenTile, fp8::kWeightBlock}) {
    const int64_t n_scales = fp8::tiles(rows, t.rows) * fp8::tiles(cols, t.cols);
    std::vector<uint8_t> codes(x.size());
    std::vector<uint16_t> bits(x.size());
    std::vector<float> scales(static_cast<size_t>(n_scales)), bits_scales(scales.size());
    fp8::quantize(x.data(), rows, cols, t, codes.data(), scales.data());
    fp8::quantize_bf16(x.data(), rows, cols, t, bits.data(), bits_scales.data());
    EXPECT_EQ(scales, bits_scales);
    for (size_t i = 0; i < x.size(); ++i) {
      const float want = decode_e4m3(codes[i]);
      if (std::isnan(want)) {
        ASSERT_TRUE(std::isnan(bf16_to_f32(bits[i]))) << i;
      } else {
        ASSERT_EQ(bits[i], f32_to_bf16(want)) << "element " << i << " = " << x[i];
      }
    }
  }
}

TEST(Fp8Tiles, NonFiniteInputsStayVisible) {
  std::vector<float> x(256, 1.0f);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[200] = std::numeric_limits<float>::infinity();
  std::vector<float> y(x.size());
  fp8::quantize_dequantize(x.data(), 1, 256, fp8::kActivationTile, y.data());
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_EQ(y[4], 1.0f);                       // rest of the NaN's tile: scale from the finite max
  for (int i = 128; i < 256; ++i) EXPECT_TRUE(std::isnan(y[size_t(i)]));  // inf: the tile is NaN
}

// ---- quantized linear against a double-precision reference --------------------------------

// src quantized as the report prescribes, written here from the format's definition with core's
// reference encoder: per tile, scale = amax / 448, value = e4m3(x / scale) · scale.
std::vector<double> reference_quantize(const std::vector<float>& x, int64_t rows, int64_t cols,
                                       fp8::TileShape t) {
  std::vector<double> q(x.size());
  for (int64_t r0 = 0; r0 < rows; r0 += t.rows) {
    for (int64_t c0 = 0; c0 < cols; c0 += t.cols) {
      const int64_t r1 = std::min(rows, r0 + t.rows), c1 = std::min(cols, c0 + t.cols);
      float amax = 0.0f;
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) amax = std::max(amax, std::fabs(x[size_t(r * cols + c)]));
      }
      const float scale = amax == 0.0f ? 1.0f : amax / 448.0f;
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) {
          const float v = x[size_t(r * cols + c)];
          q[size_t(r * cols + c)] = double(fp8_e4m3_to_f32(f32_to_fp8_e4m3(v / scale))) * scale;
        }
      }
    }
  }
  return q;
}

std::vector<double> reference_bf16(const std::vector<float>& x) {
  std::vector<double> q(x.size());
  for (size_t i = 0; i < x.size(); ++i) q[i] = bf16_to_f32(f32_to_bf16(x[i]));
  return q;
}

// c[i, j] = Σ_k a[i, k] · b[j, k] in double, and the magnitude Σ_k |a·b| each result's fp32
// rounding error scales with.
void reference_product(const std::vector<double>& a, const std::vector<double>& b, int64_t m,
                       int64_t n, int64_t k, std::vector<double>& c, std::vector<double>& mag) {
  c.assign(size_t(m * n), 0.0);
  mag.assign(size_t(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0, s_abs = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double t = a[size_t(i * k + p)] * b[size_t(j * k + p)];
        s += t;
        s_abs += std::fabs(t);
      }
      c[size_t(i * n + j)] = s;
      mag[size_t(i * n + j)] = s_abs;
    }
  }
}

std::vector<double> transposed(const std::vector<double>& a, int64_t rows, int64_t cols) {
  std::vector<double> t(a.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) t[size_t(c * rows + r)] = a[size_t(r * cols + c)];
  }
  return t;
}

// got within 1e-5 of the reference, relative to Σ|terms| (plain fp32 accumulation of a few
// hundred terms errs by ~1e-6 of that).
void expect_close(const float* got, const std::vector<double>& ref, const std::vector<double>& mag,
                  const char* what) {
  double worst = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double err = std::fabs(double(got[i]) - ref[i]) / std::max(mag[i], 1e-30);
    worst = std::max(worst, err);
  }
  EXPECT_LT(worst, 1e-5) << what;
}

class QuantizedLinear : public ::testing::TestWithParam<GemmPrecision> {};

TEST_P(QuantizedLinear, MatchesDoubleProductOfQuantizedInputs) {
  const GemmPrecision precision = GetParam();
  // 200 tokens (a full and a partial 128-token tile, above linear_forward's 48-row switch to
  // the transposed kernel), K = 300 (two full 1x128 tiles and a partial one), 136 outputs
  // (a full and a partial 128x128 weight block).
  const int64_t n = 200, in = 300, out = 136;
  const std::vector<float> x = random_matrix(n, in, 1), dy = random_matrix(n, out, 2);
  Param w;
  w.shape = {out, in};
  w.value = random_matrix(out, in, 3);
  w.grad.assign(w.value.size(), 0.0f);
  const bool is_fp8 = precision == GemmPrecision::kFP8;
  auto q = [&](const std::vector<float>& v, int64_t rows, int64_t cols, fp8::TileShape t) {
    return is_fp8 ? reference_quantize(v, rows, cols, t) : reference_bf16(v);
  };
  std::vector<double> ref, mag;

  // forward: x per 1x128 along in, W per 128x128
  std::vector<float> y(size_t(n * out)), y32(y.size());
  train_ops::linear_forward(x.data(), n, w, y.data(), precision);
  reference_product(q(x, n, in, fp8::kActivationTile), q(w.value, out, in, fp8::kWeightBlock), n,
                    out, in, ref, mag);
  expect_close(y.data(), ref, mag, "forward");
  // The rounding is real: the result moves away from the fp32 product.
  train_ops::linear_forward(x.data(), n, w, y32.data());
  double moved = 0.0;
  for (size_t i = 0; i < y.size(); ++i) moved = std::max(moved, double(std::fabs(y[i] - y32[i])));
  EXPECT_GT(moved, 1e-3);

  // dgrad dx = dy · W: dy per 1x128 along out, W per 128x128 (Wᵀ's blocks are W's)
  std::vector<float> dx(size_t(n * in), 0.0f);
  train_ops::linear_backward(x.data(), dy.data(), n, w, dx.data(), false, precision);
  reference_product(q(dy, n, out, fp8::kActivationTile),
                    transposed(q(w.value, out, in, fp8::kWeightBlock), out, in), n, in, out, ref,
                    mag);
  expect_close(dx.data(), ref, mag, "dgrad");
  const std::vector<double> dgrad_mag = mag;
  // wgrad dW = dyᵀ · x: both per 128x1 along the tokens
  reference_product(transposed(q(dy, n, out, fp8::kTokenTile), n, out),
                    transposed(q(x, n, in, fp8::kTokenTile), n, in), out, in, n, ref, mag);
  expect_close(w.grad.data(), ref, mag, "wgrad");

  // A second call accumulates into both dx (accumulate_dx) and dW: twice the first results, up
  // to the rounding of sums that continue from the old values (the bf16-unit path) rather than
  // adding a separate product.
  const std::vector<float> dx1 = dx, g1 = w.grad;
  train_ops::linear_backward(x.data(), dy.data(), n, w, dx.data(), true, precision);
  for (size_t i = 0; i < dx.size(); ++i) {
    ASSERT_NEAR(dx[i], 2.0 * dx1[i], 2e-5 * (dgrad_mag[i] + std::fabs(dx1[i])));
  }
  for (size_t i = 0; i < g1.size(); ++i) {
    ASSERT_NEAR(w.grad[i], 2.0 * g1[i], 2e-5 * (mag[i] + std::fabs(g1[i])));
  }
}

INSTANTIATE_TEST_SUITE_P(Precisions, QuantizedLinear,
                         ::testing::Values(GemmPrecision::kBF16, GemmPrecision::kFP8),
                         [](const auto& p) { return std::string(gemm_precision_name(p.param)); });

}  // namespace
}  // namespace fathom
