// Float rows to the grouped-integer formats of core/quant_format.h. Used by `fathom quantize`
// and `fathom synth` to write weights, and by tests as the reference encoding.
#pragma once

#include <cstdint>

namespace fathom {

// Q8_0: per group of 32, scale = max|x| / 127 (rounded to float16), code = round(x / scale).
void quantize_row_q8_0(const float* x, int64_t cols, int8_t* codes, uint16_t* scales);

// Q4_0: per group of 32, the float16 scale d (codes in [-8, 7]) with the smallest squared
// error among candidates max|x| / k, for k stepping through [6, 8.5] with either sign (llama.cpp's
// Q4_0 takes only k = -8 against the largest-magnitude value; a search finds a scale at least as
// good for every group, since that one is among the candidates).
void quantize_row_q4_0(const float* x, int64_t cols, uint8_t* codes, uint16_t* scales);

// Activations for the integer dot products of the Q8_0/Q4_0 linear kernels (llama.cpp's q8_0
// activations, ggml-cpu quantize_row_q8_0, with the scale kept in float32 rather than rounded to
// float16): per group of 32, d = max|x| / 127 and code = round-half-even(x · 127 / max|x|), so
// every code is in [-127, 127]. A group whose max|x| is below kActivationTiny (where 127 / max|x|
// would overflow) is all zero with d = 0. Every kernel set quantizes with exactly this
// arithmetic (the SIMD sets call q8_activation_scale and round with the same IEEE operations), so
// the integer group dots are the same everywhere.
constexpr float kActivationTiny = 1e-30f;
struct ActivationScale {
  float d;        // the group's scale: value ≈ code * d
  float inverse;  // 127 / max|x|: code = round(x * inverse)
};
ActivationScale q8_activation_scale(float amax);
// One code: round-half-even(v) for |v| ≤ 127, else ±127 (NaN gives -127, as the SIMD
// conversion's INT_MIN clamped does).
int8_t q8_activation_code(float v);
void quantize_activation_q8(const float* x, int64_t cols, int8_t* codes, float* scales);

// Exact decoding (value = code * scale) for tests and tools; kernels decode in registers.
void dequantize_row_q8_0(const int8_t* codes, const uint16_t* scales, int64_t cols, float* out);
void dequantize_row_q4_0(const uint8_t* codes, const uint16_t* scales, int64_t cols, float* out);

}  // namespace fathom
