#include "core/dtype.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fathom {
namespace {

TEST(Fp8E4M3, DecodesReferenceCodes) {
  // Values from the float8_e4m3fn definition (oracle dsref/fp8.py selftest).
  const std::pair<int, float> expected[] = {
      {0x00, 0.0f},          {0x01, std::ldexp(1.0f, -9)}, {0x07, 7 * std::ldexp(1.0f, -9)},
      {0x08, std::ldexp(1.0f, -6)}, {0x38, 1.0f},          {0x3C, 1.5f},
      {0x40, 2.0f},          {0x77, 240.0f},               {0x78, 256.0f},
      {0x7E, 448.0f},        {0xB8, -1.0f},                {0xFE, -448.0f}};
  for (const auto& [code, value] : expected) {
    EXPECT_EQ(fp8_e4m3_to_f32(uint8_t(code)), value) << "code 0x" << std::hex << code;
  }
  EXPECT_TRUE(std::signbit(fp8_e4m3_to_f32(0x80)));
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_f32(0x7F)));
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_f32(0xFF)));
}

TEST(Fp8E4M3, PositiveCodesAreMonotoneAndFinite) {
  for (int code = 1; code < 0x7F; ++code) {
    EXPECT_GT(fp8_e4m3_to_f32(uint8_t(code)), fp8_e4m3_to_f32(uint8_t(code - 1)));
    EXPECT_EQ(fp8_e4m3_to_f32(uint8_t(code | 0x80)), -fp8_e4m3_to_f32(uint8_t(code)));
  }
}

TEST(BFloat16, WidensExactlyAndRoundsToNearestEven) {
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  // 1 + 2^-8 is halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

TEST(Float16, DecodesNormalsSubnormalsAndSpecials) {
  EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7C00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00)));
}

TEST(Float16, EncodesEveryCodeBackAndRoundsToNearestEven) {
  for (uint32_t code = 0; code < 0x10000; ++code) {
    const float f = f16_to_f32(uint16_t(code));
    if (std::isnan(f)) continue;
    ASSERT_EQ(f32_to_f16(f), code) << code;
    // The midpoint to the next code up (same sign) rounds to whichever of the two is even.
    if ((code & 0x7fff) < 0x7bff) {
      const float mid = (f + f16_to_f32(uint16_t(code + 1))) / 2.0f;
      EXPECT_EQ(f32_to_f16(mid), (code & 1) ? code + 1 : code) << code;
    }
  }
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);   // halfway past the largest finite: inf
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(-1e9f), 0xFC00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -26)), 0x0000);  // below half the smallest subnormal
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(NAN))));
}

TEST(DType, NamesRoundTrip) {
  for (const char* name : {"F64", "F32", "F16", "BF16", "F8_E4M3", "I64", "I32", "I16", "I8", "U8", "BOOL"}) {
    const auto dtype = dtype_from_name(name);
    ASSERT_TRUE(dtype.has_value()) << name;
    EXPECT_STREQ(dtype_name(*dtype), name);
  }
  EXPECT_FALSE(dtype_from_name("F8_E5M2").has_value());
  EXPECT_FALSE(dtype_from_name("Q8_0").has_value());  // in-memory formats only
  EXPECT_FALSE(dtype_from_name("Q4_0").has_value());
  EXPECT_EQ(dtype_size(DType::kF8E4M3), 1u);
  EXPECT_EQ(dtype_size(DType::kBF16), 2u);
}

}  // namespace
}  // namespace fathom

namespace fathom {
namespace {

TEST(Fp8E4M3, EncodeInvertsDecodeAndRoundsToNearestEven) {
  for (int code = 0; code < 256; ++code) {
    if (code == 0x7F || code == 0xFF || code == 0x80) continue;
    EXPECT_EQ(f32_to_fp8_e4m3(fp8_e4m3_to_f32(uint8_t(code))), code) << code;
  }
  // Halfway between 1.0 (0x38, even) and 1.125 (0x39): to 0x38; between 1.125 and 1.25: 0x3A.
  EXPECT_EQ(f32_to_fp8_e4m3(1.0625f), 0x38);
  EXPECT_EQ(f32_to_fp8_e4m3(1.1875f), 0x3A);
  EXPECT_EQ(f32_to_fp8_e4m3(1e6f), 0x7E);
  EXPECT_EQ(f32_to_fp8_e4m3(-1e6f), 0xFE);
  EXPECT_EQ(f32_to_fp8_e4m3(0.0009765625f), 0x00);  // 2^-10: halfway to the smallest subnormal
  EXPECT_EQ(f32_to_fp8_e4m3(0.0029296875f), 0x02);  // 1.5 * 2^-9: ties to even (2)
  EXPECT_EQ(f32_to_fp8_e4m3(0.0146484375f), 0x08);  // 7.5 * 2^-9 rounds up to 2^-6
  // Every value lands on the nearest code.
  for (float v = -500.0f; v < 500.0f; v += 0.37f) {
    const float q = fp8_e4m3_to_f32(f32_to_fp8_e4m3(v));
    for (int c = 0; c < 256; ++c) {
      const float other = fp8_e4m3_to_f32(uint8_t(c));
      if (std::isnan(other) || std::fabs(v) > 448.0f) continue;
      EXPECT_LE(std::fabs(q - v), std::fabs(other - v)) << v;
    }
  }
}

}  // namespace
}  // namespace fathom
