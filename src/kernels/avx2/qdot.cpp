// The avx2 integer-dot linear for Q8_0/Q4_0: src/kernels/simd/qdot_impl.h compiled with -mavx2
// -mfma -mf16c against vec.h and int_vec.h.
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/dtype.h"
#include "kernels/matrix.h"
#include "kernels/quantize.h"
#include "kernels/row_kernels.h"

namespace fathom::avx2_qdot {
namespace {

#include "kernels/avx2/vec.h"
// (int_vec.h uses V.)
#include "kernels/avx2/int_vec.h"

// Rows per decode tile, by tokens per tile (1..4), [Q8_0, Q4_0]. One row at a time reads the
// matrix as one sequential stream, which measured fastest (Zen 5, 8192 x 7168): several row
// streams at once left the prefetchers behind.
constexpr int kQDecodeRows[2][5] = {{0, 1, 1, 1, 1}, {0, 1, 1, 1, 1}};
constexpr int kQPrefillRows = 1;

// No packed prefill: many tokens use the decode tiles, 4 tokens at a time.
constexpr bool kPackedPrefill = false;
constexpr int64_t kPackedMinTokens = 0;

#include "kernels/simd/qdot_impl.h"

}  // namespace
}  // namespace fathom::avx2_qdot

namespace fathom::detail {
void avx2_quant_linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                            int64_t r1) {
  avx2_qdot::quant_linear_rows(x, n, w, y, r0, r1);
}
}  // namespace fathom::detail
