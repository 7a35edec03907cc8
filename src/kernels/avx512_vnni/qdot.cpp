// The avx512 integer-dot linear for Q8_0/Q4_0 with AVX512-VNNI (vpdpbusd): the same source as
// avx512/qdot.cpp, compiled with -mavx512vnni in its own object library. Called only where
// cpu_features().avx512_vnni (avx512/kernels.cpp), so no VNNI instruction runs on a CPU without.
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/dtype.h"
#include "kernels/matrix.h"
#include "kernels/quantize.h"
#include "kernels/row_kernels.h"

#if !defined(__AVX512VNNI__)
#error "avx512_vnni/qdot.cpp needs -mavx512vnni (src/kernels/CMakeLists.txt)"
#endif

namespace fathom::avx512_vnni_qdot {
namespace {

#include "kernels/avx512/vec.h"
// (int_vec.h uses V.)
#include "kernels/avx512/int_vec.h"

// Rows per decode tile, by tokens per tile (1..4), [Q8_0, Q4_0]: as avx512/qdot.cpp.
constexpr int kQDecodeRows[2][5] = {{0, 1, 1, 1, 1}, {0, 1, 2, 1, 1}};
constexpr int kQPrefillRows = 2;

// Prefill (n ≥ 8) on weights repacked for vpdpbusd (prefill_impl.h).
constexpr bool kPackedPrefill = true;
constexpr int64_t kPackedMinTokens = 8;

#include "kernels/simd/qdot_impl.h"
// (prefill_impl.h defines qdot_impl.h's packed_prefill and uses its QActs.)
#include "kernels/avx512_vnni/prefill_impl.h"

}  // namespace
}  // namespace fathom::avx512_vnni_qdot

namespace fathom::detail {
void avx512_vnni_quant_linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y,
                                   int64_t r0, int64_t r1) {
  avx512_vnni_qdot::quant_linear_rows(x, n, w, y, r0, r1);
}
}  // namespace fathom::detail
