// The public kernel tables: each ISA's range kernels with the linear ones split across the
// thread pool. Baseline-compiled (no ISA flags): only the function pointers it calls are ISA code.
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/row_kernels.h"

namespace fathom::detail {
namespace {

// Below this many multiply-adds a call runs on the calling thread: waking workers costs about a
// microsecond, which is ~10^4-10^5 FMAs of single-core work.
constexpr int64_t kMinParallelWork = int64_t(1) << 15;
// Output rows per grain: a multiple of every ISA's row tile, so ranges start on tile boundaries.
constexpr int64_t kRowGrain = 16;
// Output columns per grain for linear_transposed: whole 64-byte lines of y (and of FP8 weights).
constexpr int64_t kColGrain = 64;

struct LinearJob {
  const RowKernels* k;
  const float* x;
  int64_t n;
  const MatrixRef* w;
  float* y;
};

template <const RowKernels& (*Get)()>
void linear(const float* x, int64_t n, const MatrixRef& w, float* y) {
  const RowKernels& k = Get();
  if (n <= 0 || w.rows <= 0) return;
  if (n * w.rows * w.cols < kMinParallelWork) return k.linear_rows(x, n, w, y, 0, w.rows);
  LinearJob job{&k, x, n, &w, y};
  parallel_for(w.rows, kRowGrain, [](void* c, int64_t b, int64_t e) {
    const LinearJob& j = *static_cast<const LinearJob*>(c);
    j.k->linear_rows(j.x, j.n, *j.w, j.y, b, e);
  }, &job);
}

template <const RowKernels& (*Get)()>
void linear_transposed(const float* x, int64_t n, const MatrixRef& w, float* y) {
  const RowKernels& k = Get();
  if (n <= 0 || w.cols <= 0) return;
  if (n * w.rows * w.cols < kMinParallelWork) {
    return k.linear_transposed_cols(x, n, w, y, 0, w.cols);
  }
  LinearJob job{&k, x, n, &w, y};
  parallel_for(w.cols, kColGrain, [](void* c, int64_t b, int64_t e) {
    const LinearJob& j = *static_cast<const LinearJob*>(c);
    j.k->linear_transposed_cols(j.x, j.n, *j.w, j.y, b, e);
  }, &job);
}

template <const RowKernels& (*Get)()>
KernelTable make_table() {
  const RowKernels& k = Get();
  return KernelTable{k.isa,  k.dequantize_row, linear<Get>, linear_transposed<Get>,
                     k.dot,  k.softmax,        k.rms_norm};
}

}  // namespace

const KernelTable& threaded_table(Isa isa) {
  static const KernelTable generic = make_table<generic_row_kernels>();
  static const KernelTable avx2 = make_table<avx2_row_kernels>();
  static const KernelTable avx512 = make_table<avx512_row_kernels>();
  switch (isa) {
    case Isa::kAvx2: return avx2;
    case Isa::kAvx512:
    case Isa::kAmx: return avx512;
    case Isa::kGeneric: break;
  }
  return generic;
}

const KernelTable& avx512_without_vnni_table() {
  static const KernelTable table = make_table<avx512_without_vnni_row_kernels>();
  return table;
}

}  // namespace fathom::detail
