// Internal to src/kernels/generic: the reference linear for the grouped-integer weight formats.
#pragma once

#include <cstdint>

#include "kernels/matrix.h"

namespace fathom::generic {

// linear_rows for Q8_0/Q4_0 weights: y[t, r] for t < n, r in [r0, r1).
void linear_rows_quant(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                       int64_t r1);

}  // namespace fathom::generic
