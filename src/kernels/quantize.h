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

// Exact decoding (value = code * scale) for tests and tools; kernels decode in registers.
void dequantize_row_q8_0(const int8_t* codes, const uint16_t* scales, int64_t cols, float* out);
void dequantize_row_q4_0(const uint8_t* codes, const uint16_t* scales, int64_t cols, float* out);

}  // namespace fathom
