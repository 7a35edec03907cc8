// The avx512 kernel set: src/kernels/simd/kernels_impl.h compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq (plus the AVX2/FMA/F16C they imply)
// (src/kernels/CMakeLists.txt) against the vector type in vec.h.
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>

#include "core/dtype.h"
#include "kernels/matrix.h"
#include "kernels/row_kernels.h"

namespace fathom::avx512 {
namespace {

#include "kernels/avx512/vec.h"

// Register tiles (accumulators + weight vectors + one input vector must fit the register file:
// 32 zmm). Index = tokens per tile (1..4).
constexpr int kDecodeRows[5] = {0, 8, 8, 4, 4};
constexpr int kPrefillRows = 4;
constexpr int kTransposedChunks[5] = {0, 8, 6, 4, 4};

// Integer dots for Q8_0/Q4_0: VNNI (its own object library) only where the CPU has it.
void quant_linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                       int64_t r1) {
  if (cpu_features().avx512_vnni) {
    return detail::avx512_vnni_quant_linear_rows(x, n, w, y, r0, r1);
  }
  detail::avx512_quant_linear_rows(x, n, w, y, r0, r1);
}

#include "kernels/simd/kernels_impl.h"

// The same set as a CPU without VNNI runs it (row_kernels.h: for tests and benchmarks).
void linear_rows_without_vnni(const float* x, int64_t n, const MatrixRef& w, float* y,
                              int64_t r0, int64_t r1) {
  if (w.dtype == DType::kQ8_0 || w.dtype == DType::kQ4_0) {
    return detail::avx512_quant_linear_rows(x, n, w, y, r0, r1);
  }
  linear_rows(x, n, w, y, r0, r1);
}

}  // namespace
}  // namespace fathom::avx512

namespace fathom::detail {
const RowKernels& avx512_row_kernels() {
  static const RowKernels k{"avx512",
                            avx512::dequantize_row,
                            avx512::linear_rows,
                            avx512::linear_transposed_cols,
                            avx512::dot,
                            avx512::softmax,
                            avx512::rms_norm};
  return k;
}
const RowKernels& avx512_without_vnni_row_kernels() {
  static const RowKernels k{"avx512_without_vnni",
                            avx512::dequantize_row,
                            avx512::linear_rows_without_vnni,
                            avx512::linear_transposed_cols,
                            avx512::dot,
                            avx512::softmax,
                            avx512::rms_norm};
  return k;
}
}  // namespace fathom::detail
