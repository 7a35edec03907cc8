// Element types as the safetensors format names them, and exact scalar conversions to f32.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace fathom {

// kQ8_0 and kQ4_0 are fathom's own grouped-integer weight formats (core/quant_format.h). They
// are never a safetensors dtype: on disk they are I8/U8 tensors plus an F16 scale tensor, so
// dtype_from_name does not return them and dtype_size is 0 for them (use quant_row_bytes).
enum class DType : uint8_t {
  kF64, kF32, kF16, kBF16, kF8E4M3, kI64, kI32, kI16, kI8, kU8, kBool, kQ8_0, kQ4_0
};

// "F32", "BF16", "F8_E4M3", ... (the safetensors spelling); nullopt for an unknown name
// (and for "Q8_0"/"Q4_0", which only name in-memory formats).
std::optional<DType> dtype_from_name(std::string_view name);
const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);
bool dtype_is_float(DType dtype);

inline float f32_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline uint32_t bits_from_f32(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// bfloat16 is the top half of an IEEE float32: widening is a shift.
inline float bf16_to_f32(uint16_t bits) { return f32_from_bits(uint32_t(bits) << 16); }

// Round-to-nearest-even narrowing (NaN stays NaN).
inline uint16_t f32_to_bf16(float f) {
  uint32_t u = bits_from_f32(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

// IEEE binary16 -> float32, exact (subnormals, inf and NaN included).
float f16_to_f32(uint16_t bits);
// float32 -> nearest IEEE binary16, ties to even; overflow goes to +-inf, NaN stays NaN.
uint16_t f32_to_f16(float value);

// float8 e4m3fn (OCP FP8 E4M3, PyTorch's float8_e4m3fn): 1 sign, 4 exponent bits (bias 7),
// 3 mantissa bits, no infinities, S.1111.111 is NaN, largest finite 448. Every value is exactly
// representable in float32, so decoding is a table lookup.
extern const float* const kFp8E4M3ToF32;  // 256 entries
inline float fp8_e4m3_to_f32(uint8_t code) { return kFp8E4M3ToF32[code]; }
// Nearest e4m3fn code, ties to even, saturating at +-448 (NaN maps to the NaN code).
uint8_t f32_to_fp8_e4m3(float value);

}  // namespace fathom
