// The reference encoders of kernels/quantize.h: decoding gives back each value to within half a
// step, and Q4_0's scale search is never worse than llama.cpp's single Q4_0 scale.
#include "kernels/quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "core/quant_format.h"

namespace fathom {
namespace {

std::vector<float> random_row(int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> x(static_cast<size_t>(cols));
  for (auto& v : x) v = normal(rng);
  x[5] = 0.3f;  // an outlier in group 0
  for (int i = 64; i < 96; ++i) x[size_t(i)] = 0.0f;  // an all-zero group
  return x;
}

TEST(Quantize, Q8RoundTripsWithinHalfAStep) {
  std::mt19937 rng(1);
  const int64_t cols = 256;
  const auto x = random_row(cols, rng);
  std::vector<int8_t> codes(static_cast<size_t>(cols));
  std::vector<uint16_t> scales(static_cast<size_t>(cols / kQuantGroup));
  quantize_row_q8_0(x.data(), cols, codes.data(), scales.data());
  std::vector<float> y(static_cast<size_t>(cols));
  dequantize_row_q8_0(codes.data(), scales.data(), cols, y.data());
  for (int64_t c = 0; c < cols; ++c) {
    const float d = f16_to_f32(scales[size_t(c / kQuantGroup)]);
    EXPECT_LE(std::fabs(x[size_t(c)] - y[size_t(c)]), 0.5f * d * 1.01f + 1e-12f) << c;
  }
  EXPECT_EQ(scales[2], 0);  // the zero group
  EXPECT_EQ(std::abs(int(codes[5])), 127);
}

float llama_q4_error(const float* x) {  // llama.cpp's Q4_0: d = (value of max |x|) / -8
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < kQuantGroup; ++i) {
    if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), max = x[i];
  }
  const float d = f16_to_f32(f32_to_f16(max / -8.0f));
  const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
  float error = 0.0f;
  for (int i = 0; i < kQuantGroup; ++i) {
    const int q = std::clamp(int(std::nearbyint(x[i] * inverse)), -8, 7);
    error += (x[i] - float(q) * d) * (x[i] - float(q) * d);
  }
  return error;
}

TEST(Quantize, Q4SearchIsNeverWorseThanTheSingleScale) {
  std::mt19937 rng(2);
  const int64_t cols = 32 * 64;
  const auto x = random_row(cols, rng);
  std::vector<uint8_t> codes(static_cast<size_t>(cols / 2));
  std::vector<uint16_t> scales(static_cast<size_t>(cols / kQuantGroup));
  quantize_row_q4_0(x.data(), cols, codes.data(), scales.data());
  std::vector<float> y(static_cast<size_t>(cols));
  dequantize_row_q4_0(codes.data(), scales.data(), cols, y.data());
  double ours = 0.0, single = 0.0;
  for (int64_t g = 0; g < cols / kQuantGroup; ++g) {
    float error = 0.0f;
    for (int64_t i = g * kQuantGroup; i < (g + 1) * kQuantGroup; ++i) {
      error += (x[size_t(i)] - y[size_t(i)]) * (x[size_t(i)] - y[size_t(i)]);
    }
    const float reference = llama_q4_error(&x[size_t(g * kQuantGroup)]);
    EXPECT_LE(error, reference * (1.0f + 1e-5f)) << "group " << g;
    ours += error;
    single += reference;
  }
  EXPECT_LT(ours, 0.95 * single);  // the search pays off on normal data, not just ties
  // Nibble layout: element j in the low nibble of byte j, element j + 16 in the high nibble.
  const float d = f16_to_f32(scales[0]);
  EXPECT_EQ(y[0], float(int(codes[0] & 0xf) - 8) * d);
  EXPECT_EQ(y[16], float(int(codes[0] >> 4) - 8) * d);
}

// The activation side of the Q8_0/Q4_0 linear: scale max|x| / 127 in float32, codes rounded half
// to even, groups below kActivationTiny all zero.
TEST(Quantize, ActivationCodes) {
  std::vector<float> x(96, 0.0f);
  x[0] = -127.0f;  // group 0: inverse scale exactly 1, so k + 0.5 are ties
  x[1] = 2.5f, x[2] = -3.5f, x[3] = 0.5f, x[4] = 126.5f;
  for (int i = 32; i < 64; ++i) x[size_t(i)] = 1e-31f;  // group 1: below kActivationTiny
  for (int i = 64; i < 96; ++i) x[size_t(i)] = float(i - 80) * 0.01f;  // group 2: ordinary
  std::vector<int8_t> codes(96);
  std::vector<float> scales(3);
  quantize_activation_q8(x.data(), 96, codes.data(), scales.data());
  EXPECT_EQ(scales[0], 1.0f);
  EXPECT_EQ(codes[0], -127);
  EXPECT_EQ(codes[1], 2);
  EXPECT_EQ(codes[2], -4);
  EXPECT_EQ(codes[3], 0);
  EXPECT_EQ(codes[4], 126);
  EXPECT_EQ(scales[1], 0.0f);
  for (int i = 32; i < 64; ++i) EXPECT_EQ(codes[size_t(i)], 0);
  EXPECT_EQ(scales[2], std::fabs(x[64]) / 127.0f);
  EXPECT_EQ(codes[64], -127);  // -0.16, the group's largest magnitude
  for (int i = 64; i < 96; ++i) {
    const float decoded = float(codes[size_t(i)]) * scales[2];
    EXPECT_LE(std::fabs(x[size_t(i)] - decoded), 0.5f * scales[2] * 1.001f);
  }
  EXPECT_EQ(q8_activation_code(NAN), -127);
}

}  // namespace
}  // namespace fathom
