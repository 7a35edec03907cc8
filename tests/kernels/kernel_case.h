// Random weight matrices in every storage dtype, for comparing kernel sets (tests and benches).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "kernels/matrix.h"
#include "core/quant_format.h"
#include "kernels/quantize.h"

namespace fathom::testing {

struct RandomMatrix {
  std::vector<uint8_t> bytes;
  std::vector<float> scales;
  std::vector<uint16_t> group_scales;  // Q8_0/Q4_0
  MatrixRef ref;
};

// rows x cols of `dtype`. FP8: block_rows x block_cols scale blocks (partial edge blocks when
// they do not divide), codes uniform over the finite ones (0x7f/0xff are NaN), scales in
// [1e-3, 1e-1]. F16: finite values with exponents 2^-14..2^5 plus subnormals. Q8_0/Q4_0 (cols a
// multiple of 32): normal data, each row scaled by a random factor in [2^-8, 2^2], encoded with
// the reference quantizers, so group scales are realistic and differ across rows and groups.
inline RandomMatrix random_matrix(DType dtype, int64_t rows, int64_t cols, std::mt19937& rng,
                                  int64_t block_rows = 128, int64_t block_cols = 128) {
  RandomMatrix m;
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const size_t count = size_t(rows * cols);
  m.bytes.resize(size_t(rows * row_bytes(dtype, cols)) + 1);
  m.ref = MatrixRef{dtype, rows, cols, m.bytes.data()};
  switch (dtype) {
    case DType::kF32: {
      float* p = reinterpret_cast<float*>(m.bytes.data());
      for (size_t i = 0; i < count; ++i) p[i] = normal(rng);
      break;
    }
    case DType::kBF16: {
      uint16_t* p = reinterpret_cast<uint16_t*>(m.bytes.data());
      for (size_t i = 0; i < count; ++i) p[i] = f32_to_bf16(normal(rng));
      break;
    }
    case DType::kF16: {
      uint16_t* p = reinterpret_cast<uint16_t*>(m.bytes.data());
      for (size_t i = 0; i < count; ++i) {
        const uint32_t r = rng();
        const uint32_t exponent = (r & 7) == 0 ? 0 : 1 + (r >> 3) % 20;  // 1/8 subnormal
        p[i] = uint16_t(((r >> 16) & 0x8000) | (exponent << 10) | ((r >> 8) & 0x3ff));
      }
      break;
    }
    case DType::kF8E4M3: {
      for (size_t i = 0; i < count; ++i) {
        uint8_t code;
        do code = uint8_t(rng()); while ((code & 0x7f) == 0x7f);
        m.bytes[i] = code;
      }
      const int64_t sr = (rows + block_rows - 1) / block_rows, sc = (cols + block_cols - 1) / block_cols;
      std::uniform_real_distribution<float> scale(1e-3f, 1e-1f);
      m.scales.resize(size_t(sr * sc));
      for (float& s : m.scales) s = scale(rng);
      m.ref.block_scales = m.scales.data();
      m.ref.block_rows = block_rows;
      m.ref.block_cols = block_cols;
      break;
    }
    case DType::kQ8_0:
    case DType::kQ4_0: {
      const int64_t groups = cols / kQuantGroup, stride = row_bytes(dtype, cols);
      m.group_scales.resize(size_t(rows * groups) + 1);
      std::uniform_real_distribution<float> log2_scale(-8.0f, 2.0f);
      std::vector<float> row(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        const float scale = std::exp2(log2_scale(rng));
        for (float& v : row) v = normal(rng) * scale;
        uint8_t* codes = &m.bytes[size_t(r * stride)];
        uint16_t* scales = &m.group_scales[size_t(r * groups)];
        if (dtype == DType::kQ8_0) {
          quantize_row_q8_0(row.data(), cols, reinterpret_cast<int8_t*>(codes), scales);
        } else {
          quantize_row_q4_0(row.data(), cols, codes, scales);
        }
      }
      m.ref.group_scales = m.group_scales.data();
      break;
    }
    default:
      break;
  }
  return m;
}

inline std::vector<float> random_vector(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

}  // namespace fathom::testing
