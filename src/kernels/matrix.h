// A weight matrix as kernels see it: row-major [rows, cols] (rows = output features, the
// nn.Linear layout), in any storage dtype. Kernels know storage formats, never models.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/quant_format.h"

namespace fathom {

struct MatrixRef {
  DType dtype = DType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  const void* data = nullptr;
  // F8_E4M3 only: one float32 multiplier ("scale_inv") per block_rows x block_cols block,
  // row-major [ceil(rows / block_rows), ceil(cols / block_cols)]; edge blocks may be partial.
  const float* block_scales = nullptr;
  int64_t block_rows = 0;
  int64_t block_cols = 0;
  // Row index of this matrix's first row within the tensor the block scales describe, so a
  // slice of rows (one attention head of kv_b_proj) still finds its blocks.
  int64_t scale_row_offset = 0;
  // Q8_0/Q4_0 only (core/quant_format.h): float16 scales [rows, cols / kQuantGroup], starting
  // at this matrix's own first row.
  const uint16_t* group_scales = nullptr;
};

// A plain float32 array [rows, cols] (an activation, a transposed copy) as a kernel matrix.
inline MatrixRef f32_matrix(const float* data, int64_t rows, int64_t cols) {
  MatrixRef m;
  m.dtype = DType::kF32;
  m.rows = rows;
  m.cols = cols;
  m.data = data;
  return m;
}

// Rows [first, first + count) of `m` as a matrix of their own (no copy).
inline MatrixRef row_slice(const MatrixRef& m, int64_t first, int64_t count) {
  MatrixRef s = m;
  s.rows = count;
  s.data = static_cast<const uint8_t*>(m.data) + first * row_bytes(m.dtype, m.cols);
  s.scale_row_offset = m.scale_row_offset + first;
  if (m.group_scales) s.group_scales = m.group_scales + first * (m.cols / kQuantGroup);
  return s;
}

}  // namespace fathom
