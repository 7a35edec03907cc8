// The avx2 kernel set: src/kernels/simd/kernels_impl.h compiled with -mavx2 -mfma -mf16c
// (src/kernels/CMakeLists.txt) against the vector type in vec.h.
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>

#include "core/dtype.h"
#include "kernels/matrix.h"
#include "kernels/row_kernels.h"

namespace fathom::avx2 {
namespace {

#include "kernels/avx2/vec.h"

// Register tiles (accumulators + weight vectors + one input vector must fit the register file:
// 16 ymm). Index = tokens per tile (1..4).
constexpr int kDecodeRows[5] = {0, 4, 4, 3, 2};
constexpr int kPrefillRows = 2;
constexpr int kTransposedChunks[5] = {0, 4, 4, 3, 2};

void quant_linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                       int64_t r1) {
  detail::avx2_quant_linear_rows(x, n, w, y, r0, r1);
}

#include "kernels/simd/kernels_impl.h"

}  // namespace
}  // namespace fathom::avx2

namespace fathom::detail {
const RowKernels& avx2_row_kernels() {
  static const RowKernels k{"avx2",
                            avx2::dequantize_row,
                            avx2::linear_rows,
                            avx2::linear_transposed_cols,
                            avx2::dot,
                            avx2::softmax,
                            avx2::rms_norm};
  return k;
}
}  // namespace fathom::detail
