// The avx512 integer-dot linear for Q8_0/Q4_0 on AVX-512BW (vpmaddubsw + vpmaddwd), for CPUs
// without VNNI: src/kernels/simd/qdot_impl.h against vec.h and int_vec.h.
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/dtype.h"
#include "kernels/matrix.h"
#include "kernels/quantize.h"
#include "kernels/row_kernels.h"

namespace fathom::avx512_qdot {
namespace {

#include "kernels/avx512/vec.h"
// (int_vec.h uses V.)
#include "kernels/avx512/int_vec.h"

// Rows per decode tile, by tokens per tile (1..4), [Q8_0, Q4_0]. One row at a time reads the
// matrix as one sequential stream, which measured fastest on Zen 5 (8192 x 7168) except for
// Q4_0 with 2 tokens, where two rows a tile did better.
constexpr int kQDecodeRows[2][5] = {{0, 1, 1, 1, 1}, {0, 1, 2, 1, 1}};
constexpr int kQPrefillRows = 2;

// No packed prefill: many tokens use the decode tiles, 4 tokens at a time.
constexpr bool kPackedPrefill = false;
constexpr int64_t kPackedMinTokens = 0;

#include "kernels/simd/qdot_impl.h"

}  // namespace
}  // namespace fathom::avx512_qdot

namespace fathom::detail {
void avx512_quant_linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                              int64_t r1) {
  avx512_qdot::quant_linear_rows(x, n, w, y, r0, r1);
}
}  // namespace fathom::detail
