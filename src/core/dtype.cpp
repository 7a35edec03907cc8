#include "core/dtype.h"

#include <array>
#include <cmath>
#include <limits>
#include <utility>

namespace fathom {
namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
  bool is_float;
};

constexpr DTypeInfo kInfo[] = {
    {DType::kF64, "F64", 8, true},    {DType::kF32, "F32", 4, true},
    {DType::kF16, "F16", 2, true},    {DType::kBF16, "BF16", 2, true},
    {DType::kF8E4M3, "F8_E4M3", 1, true}, {DType::kI64, "I64", 8, false},
    {DType::kI32, "I32", 4, false},   {DType::kI16, "I16", 2, false},
    {DType::kI8, "I8", 1, false},     {DType::kU8, "U8", 1, false},
    {DType::kBool, "BOOL", 1, false}, {DType::kQ8_0, "Q8_0", 0, true},
    {DType::kQ4_0, "Q4_0", 0, true},
};

const DTypeInfo& info(DType dtype) { return kInfo[static_cast<size_t>(dtype)]; }

constexpr float pow2(int e) {
  float p = 1.0f;
  for (; e > 0; --e) p *= 2.0f;
  for (; e < 0; ++e) p *= 0.5f;
  return p;
}

constexpr float fp8_e4m3_value(int code) {
  const int sign = (code >> 7) & 1, exponent = (code >> 3) & 0xf, mantissa = code & 7;
  float value;
  if (exponent == 0xf && mantissa == 7) {
    value = std::numeric_limits<float>::quiet_NaN();
  } else if (exponent == 0) {
    value = float(mantissa) / 8.0f * pow2(-6);  // subnormal
  } else {
    value = (1.0f + float(mantissa) / 8.0f) * pow2(exponent - 7);
  }
  return sign ? -value : value;
}

template <size_t... I>
constexpr std::array<float, 256> fp8_table(std::index_sequence<I...>) {
  return {fp8_e4m3_value(int(I))...};
}

constexpr std::array<float, 256> kFp8Table = fp8_table(std::make_index_sequence<256>{});

}  // namespace

const float* const kFp8E4M3ToF32 = kFp8Table.data();

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& entry : kInfo) {
    if (entry.size == 0) continue;  // in-memory formats, never a file dtype
    if (name == entry.name) return entry.dtype;
  }
  return std::nullopt;
}

const char* dtype_name(DType dtype) { return info(dtype).name; }
size_t dtype_size(DType dtype) { return info(dtype).size; }
bool dtype_is_float(DType dtype) { return info(dtype).is_float; }

uint8_t f32_to_fp8_e4m3(float value) {
  if (std::isnan(value)) return 0x7F;
  const uint8_t sign = std::signbit(value) ? 0x80 : 0x00;
  const float a = std::fabs(value);
  if (a >= 448.0f) return sign | 0x7E;
  int code;
  if (a < 0.015625f) {  // below 2^-6: subnormal, steps of 2^-9
    code = int(std::nearbyint(a * 512.0f));  // the default rounding mode is to nearest even
  } else {
    int exponent;
    const float mantissa = std::frexp(a, &exponent);  // a = mantissa * 2^exponent, mantissa in [0.5, 1)
    int m3 = int(std::nearbyint((mantissa * 2.0f - 1.0f) * 8.0f));
    int e = exponent - 1;  // a = (1 + m3/8) * 2^e
    if (m3 == 8) {
      m3 = 0;
      ++e;
    }
    code = ((e + 7) << 3) | m3;
    if (code > 0x7E) code = 0x7E;
  }
  return uint8_t(sign | code);
}

float f16_to_f32(uint16_t bits) {
  const uint32_t sign = uint32_t(bits & 0x8000) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1f;
  const uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0) {
    const float magnitude = std::ldexp(float(mantissa), -24);  // zero or subnormal
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) return f32_from_bits(sign | 0x7f800000u | (mantissa << 13));
  return f32_from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t f32_to_f16(float value) {
  const uint32_t u = bits_from_f32(value);
  const auto sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u;   // NaN
  if (a >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds (to even) past 65504: inf
  if (a < 0x38800000u) {                        // below 2^-14: f16 subnormal, steps of 2^-24
    // Scaling by 2^24 is exact; nearbyint rounds to nearest even. 1024 encodes 2^-14 itself.
    return sign | uint16_t(std::nearbyint(std::fabs(value) * 16777216.0f));
  }
  // Normal: drop 13 mantissa bits rounding to nearest even (a carry into the exponent is the
  // correct next binade), then rebias the exponent from 127 to 15.
  const uint32_t rounded = a + 0xfffu + ((a >> 13) & 1u) - (112u << 23);
  return sign | uint16_t(rounded >> 13);
}

}  // namespace fathom
