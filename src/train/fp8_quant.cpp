#include "train/fp8_quant.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/dtype.h"
#include "kernels/bf16_gemm.h"
#include "train/ops.h"

namespace fathom::fp8 {

namespace {

constexpr uint32_t kAbsMask = 0x7fffffffu, kInfBits = 0x7f800000u;
constexpr uint32_t k448Bits = 0x43e00000u;     // 448.0f
constexpr uint32_t kMinNormalBits = 0x3c800000u;  // 2^-6, E4M3's smallest normal

// emit(r0, r1, scales) for every row of tiles (rows r0..r1-1), with that row's column-tile
// scales; rows of tiles split over the pool. A tile's amax is the largest magnitude of its
// elements, NaN skipped (absmax_columns, vectorised where the bf16 kernels are). Each tile is
// read and written by one thread in a fixed order, so the result does not depend on the thread
// count.
template <typename Emit>
void for_each_tile_row(const float* src, int64_t rows, int64_t cols, TileShape t, Emit&& emit) {
  const int64_t n_col_tiles = tiles(cols, t.cols);
  train_ops::parallel_for_if(rows * cols, tiles(rows, t.rows), t.rows >= 16 ? 1 : 16,
                             [&](int64_t b, int64_t e) {
    thread_local std::vector<float> col_amax, scale;
    col_amax.resize(size_t(cols));
    scale.resize(size_t(n_col_tiles));
    for (int64_t tr = b; tr < e; ++tr) {
      const int64_t r0 = tr * t.rows, r1 = std::min(rows, r0 + t.rows);
      std::fill(col_amax.begin(), col_amax.end(), 0.0f);
      absmax_columns(src + r0 * cols, r1 - r0, cols, col_amax.data());
      for (int64_t ct = 0; ct < n_col_tiles; ++ct) {
        const int64_t c0 = ct * t.cols, c1 = std::min(cols, c0 + t.cols);
        scale[size_t(ct)] = tile_scale(*std::max_element(col_amax.begin() + c0, col_amax.begin() + c1));
      }
      emit(r0, r1, scale.data());
    }
  });
}

}  // namespace

uint8_t encode_e4m3(float v) {
  const uint32_t u = bits_from_f32(v), a = u & kAbsMask;
  const auto sign = uint8_t((u >> 24) & 0x80u);
  if (a > kInfBits) return sign | 0x7f;  // NaN
  if (a >= k448Bits) return sign | 0x7e;  // saturate (inf included): no E4M3 infinity
  if (a < kMinNormalBits) {
    // Subnormal range, steps of 2^-9: |v|·2^9 is exact (a power-of-two scaling) and below 8;
    // adding and removing 2^23 rounds it to an integer, ties to even (the default rounding
    // mode). 8 is the smallest normal's code, so a carry lands on the right code.
    const float scaled = f32_from_bits(a) * 512.0f;
    return sign | uint8_t((scaled + 8388608.0f) - 8388608.0f);
  }
  // Normal: drop 20 of float's 23 mantissa bits, ties to even; a carry out of the mantissa
  // bumps the exponent, as it should. Rebias the exponent from 127 to 7 (120 << 3 = 960).
  const uint32_t rounded = (a + 0x7ffffu + ((a >> 20) & 1u)) >> 20;
  return sign | uint8_t(std::min<uint32_t>(rounded - 960u, 0x7eu));
}

float decode_e4m3(uint8_t code) { return fp8_e4m3_to_f32(code); }

float tile_scale(float amax) { return amax == 0.0f ? 1.0f : amax / kE4M3Max; }

namespace {

// out(index, code) for every element, with the tile scales written to `scales`.
template <typename Out>
void quantize_each(const float* src, int64_t rows, int64_t cols, TileShape t, float* scales,
                   Out&& out) {
  const int64_t n_col_tiles = tiles(cols, t.cols);
  for_each_tile_row(src, rows, cols, t, [&](int64_t r0, int64_t r1, const float* scale) {
    std::copy(scale, scale + n_col_tiles, scales + (r0 / t.rows) * n_col_tiles);
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        out(r * cols + c, encode_e4m3(src[r * cols + c] / scale[c / t.cols]));
      }
    }
  });
}

}  // namespace

void quantize(const float* src, int64_t rows, int64_t cols, TileShape t, uint8_t* codes,
              float* scales) {
  quantize_each(src, rows, cols, t, scales, [codes](int64_t i, uint8_t code) { codes[i] = code; });
}

void quantize_bf16(const float* src, int64_t rows, int64_t cols, TileShape t, uint16_t* values,
                   float* scales) {
  // quantize's arithmetic on the vector kernels (kernels/bf16_gemm.h): the same division by the
  // tile scale, the same nearest E4M3 value.
  const int64_t n_col_tiles = tiles(cols, t.cols);
  for_each_tile_row(src, rows, cols, t, [&](int64_t r0, int64_t r1, const float* scale) {
    std::copy(scale, scale + n_col_tiles, scales + (r0 / t.rows) * n_col_tiles);
    thread_local std::vector<float> col_scale;
    col_scale.resize(size_t(cols));
    for (int64_t ct = 0; ct < n_col_tiles; ++ct) {
      std::fill(col_scale.begin() + ct * t.cols,
                col_scale.begin() + std::min(cols, (ct + 1) * t.cols), scale[ct]);
    }
    for (int64_t r = r0; r < r1; ++r) {
      bf16_round_e4m3(src + r * cols, col_scale.data(), cols, values + r * cols);
    }
  });
}

void quantize_dequantize(const float* src, int64_t rows, int64_t cols, TileShape t, float* dst) {
  for_each_tile_row(src, rows, cols, t, [&](int64_t r0, int64_t r1, const float* scale) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = src + r * cols;
      float* y = dst + r * cols;
      for (int64_t ct = 0, c0 = 0; c0 < cols; ++ct, c0 += t.cols) {
        const float s = scale[ct];
        const int64_t c1 = std::min(cols, c0 + t.cols);
        for (int64_t c = c0; c < c1; ++c) y[c] = decode_e4m3(encode_e4m3(x[c] / s)) * s;
      }
    }
  });
}

void round_bf16(const float* src, int64_t count, float* dst) {
  train_ops::parallel_for_if(count, count, 4096, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dst[i] = bf16_to_f32(f32_to_bf16(src[i]));
  });
}

}  // namespace fathom::fp8
