// Fine-grained FP8 (E4M3) quantization of GEMM inputs for mixed-precision training, after the
// DeepSeek-V3 report §3.3.2: every tile of a matrix gets its own scale, scale = amax / 448 (the
// tile's largest magnitude lands on E4M3's largest finite value), and each element becomes the
// E4M3 code nearest to element / scale. Tiles:
//   kActivationTile 1x128   activations and activation gradients, along the reduction (K) dim
//                           of the GEMM that consumes them (a row of [tokens, features])
//   kTokenTile      128x1   the same tensors as wgrad operands, whose K dim is the token axis
//                           (a column of [tokens, features])
//   kWeightBlock    128x128 weights; one block scale serves both W (forward) and Wᵀ (dgrad)
// Edge tiles are partial. A tile of zeros gets scale 1. A tile holding ±inf gets scale inf and
// dequantizes to NaN (an overflow must not be hidden; the loss goes NaN as in fp32), a NaN
// element stays NaN. Pure arithmetic, no kernels: the GEMMs themselves stay in src/kernels.
#pragma once

#include <cstdint>

namespace fathom::fp8 {

constexpr float kE4M3Max = 448.0f;  // S.1111.110: E4M3 (OCP "fn") has no infinities

struct TileShape {
  int64_t rows, cols;
};
constexpr TileShape kActivationTile{1, 128};
constexpr TileShape kTokenTile{128, 1};
constexpr TileShape kWeightBlock{128, 128};

// Nearest E4M3 code of v, ties to even mantissa, subnormals (steps of 2^-9 below 2^-6)
// included, |v| >= 448 (and ±inf) saturating to ±448; NaN encodes to the NaN code S.1111.111
// with v's sign. Bit arithmetic only: core/dtype.h's f32_to_fp8_e4m3 gives the same codes for
// every non-NaN value (tested) but calls frexp/nearbyint, too slow for every GEMM input of a step.
uint8_t encode_e4m3(float v);
// Exact value of a code (core/dtype.h's table).
float decode_e4m3(uint8_t code);

// Scale of a tile whose largest magnitude is amax: amax / 448, 1 for amax == 0.
float tile_scale(float amax);

// Number of tiles along each dimension.
inline int64_t tiles(int64_t size, int64_t tile) { return (size + tile - 1) / tile; }

// codes[rows, cols] and scales[tiles(rows, t.rows), tiles(cols, t.cols)] of src[rows, cols]:
// src ≈ decode_e4m3(code) · scale of its tile.
void quantize(const float* src, int64_t rows, int64_t cols, TileShape t, uint8_t* codes,
              float* scales);
// As quantize, with each code written as the bf16 bits of its value (exact: every E4M3 value
// is a bf16 value), the form the bf16 dot-product units take (kernels/bf16_gemm.h).
void quantize_bf16(const float* src, int64_t rows, int64_t cols, TileShape t, uint16_t* values,
                   float* scales);
// dst = decode_e4m3(code) · scale, element by element (float multiply), without keeping the
// codes: the values an FP8 GEMM effectively multiplies. dst may equal src.
void quantize_dequantize(const float* src, int64_t rows, int64_t cols, TileShape t, float* dst);

// dst[i] = src[i] rounded to bf16 (nearest even, NaN stays NaN), widened back to float.
void round_bf16(const float* src, int64_t count, float* dst);

}  // namespace fathom::fp8
