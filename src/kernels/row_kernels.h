// Internal to src/kernels: what each ISA folder provides. The linear kernels work on a range of
// output rows (linear) or output columns (linear_transposed), so the thread split lives once in
// dispatch.cpp (baseline code) and every ISA gets it. Each output element's arithmetic happens
// inside one range call, in an order that does not depend on the range: results are the same
// for any thread count.
#pragma once

#include <cstdint>

#include "kernels/isa.h"
#include "kernels/matrix.h"

namespace fathom {
struct KernelTable;
struct Bf16Gemm;
struct Bf16Source;
}

namespace fathom::detail {

struct RowKernels {
  const char* isa;
  void (*dequantize_row)(const MatrixRef& w, int64_t row, float* out);
  // Writes y[t, r] for t < n, r in [r0, r1) of y[n, w.rows] = x[n, w.cols] · wᵀ.
  void (*linear_rows)(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                      int64_t r1);
  // Writes y[t, c] for t < n, c in [c0, c1) of y[n, w.cols] = x[n, w.rows] · w.
  void (*linear_transposed_cols)(const float* x, int64_t n, const MatrixRef& w, float* y,
                                 int64_t c0, int64_t c1);
  float (*dot)(const float* a, const float* b, int64_t n);
  void (*softmax)(float* x, int64_t n);
  void (*rms_norm)(const float* x, const float* weight, int64_t n, float eps, float* out);
};

const RowKernels& generic_row_kernels();
const RowKernels& avx2_row_kernels();
// Integer dots on AVX512-VNNI where cpu_features().avx512_vnni, else on AVX-512BW.
const RowKernels& avx512_row_kernels();
// The avx512 set as a CPU without VNNI runs it, so tests cover that path on any AVX-512 CPU.
const RowKernels& avx512_without_vnni_row_kernels();

// linear_rows for Q8_0/Q4_0 weights (simd/qdot_impl.h), one per integer-dot build: avx2/qdot.cpp,
// avx512/qdot.cpp (AVX-512BW), avx512_vnni/qdot.cpp (call only where cpu_features().avx512_vnni).
void avx2_quant_linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                            int64_t r1);
void avx512_quant_linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y, int64_t r0,
                              int64_t r1);
void avx512_vnni_quant_linear_rows(const float* x, int64_t n, const MatrixRef& w, float* y,
                                   int64_t r0, int64_t r1);

// bf16_gemm.h's outputs y[i, j] for i in [i0, i1), j in [j0, j1) on vdpbf16ps (call only where
// cpu_features().avx512_bf16). j0 is a multiple of 16; bf16_gemm hands out blocks of
// kBf16GemmRows x kBf16GemmCols.
constexpr int64_t kBf16GemmRows = 64, kBf16GemmCols = 64;
void avx512_bf16_gemm_tiles(const Bf16Gemm& g, int64_t i0, int64_t i1, int64_t j0, int64_t j1);
// bf16_gemm.h's packs on AVX-512 BF16, over destination rows [r0, r1) (bf16_pack_rows) or pair
// rows [p0, p1) (bf16_pack_pairs; transposed: p0 a multiple of 16).
void avx512_bf16_pack_rows(const Bf16Source& src, int64_t k, int64_t r0, int64_t r1,
                           uint16_t* dst);
void avx512_bf16_pack_pairs(const Bf16Source& src, int64_t k, int64_t n, int64_t p0, int64_t p1,
                            uint16_t* dst);
// bf16_gemm.h's bf16_round_e4m3 and absmax_columns on AVX-512 (in the same object).
void avx512_bf16_round_e4m3(const float* x, const float* scale, int64_t count, uint16_t* out);
void avx512_absmax_columns(const float* src, int64_t rows, int64_t cols, float* colmax);
void avx512_bf16_pack_pairs_transposed(const Bf16Source& src, int64_t k, int64_t n, int64_t p0,
                                       int64_t p1, uint16_t* dst);

// The public table for `isa` (generic, avx2 or avx512): the ISA's kernels with the linear ones
// split across the thread pool. No support check; callers use kernels_for().
const KernelTable& threaded_table(Isa isa);
// The threaded table of avx512_without_vnni_row_kernels() (tests only).
const KernelTable& avx512_without_vnni_table();

}  // namespace fathom::detail
