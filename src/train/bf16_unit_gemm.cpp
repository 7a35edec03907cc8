#include "train/bf16_unit_gemm.h"

#include <vector>

#include "kernels/bf16_gemm.h"
#include "train/fp8_quant.h"

namespace fathom::train_ops {
namespace {

constexpr int64_t kBlock = 128;  // fp8_quant.h's tile edge: one promotion per tile along K

// One packed operand and what it was made from, per thread, grown and reused.
struct Operand {
  std::vector<uint16_t> values;  // E4M3 values as bf16 bits
  std::vector<float> tile_scales;  // fp8::quantize's [row tiles, column tiles]
  std::vector<uint16_t> packed;
  std::vector<float> scales;  // bf16_gemm.h's a_scales / b_scales
};

struct Scratch {
  Operand a, b;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// E4M3 values (as bf16 bits) and tile scales of src[rows, cols] in o.
void quantize_into(const float* src, int64_t rows, int64_t cols, fp8::TileShape t, Operand& o) {
  o.values.resize(size_t(rows * cols));
  o.tile_scales.resize(size_t(fp8::tiles(rows, t.rows) * fp8::tiles(cols, t.cols)));
  fp8::quantize_bf16(src, rows, cols, t, o.values.data(), o.tile_scales.data());
}

Bf16Source source(const float* values, const Operand& o, GemmPrecision precision) {
  return precision == GemmPrecision::kFP8 ? Bf16Source{nullptr, o.values.data()}
                                          : Bf16Source{values, nullptr};
}

// b_scales[kb, j] = scale_of(kb, j) for j < n, zero in the padding.
template <typename F>
void fill_b_scales(Operand& o, int64_t k, int64_t n, F&& scale_of) {
  const int64_t blocks = fp8::tiles(k, kBlock), np = bf16_n_padded(n);
  o.scales.assign(size_t(blocks * np), 0.0f);
  for (int64_t kb = 0; kb < blocks; ++kb)
    for (int64_t j = 0; j < n; ++j) o.scales[size_t(kb * np + j)] = scale_of(kb, j);
}

// FP8: w[out, in] in 128x128 blocks into o, with b_scales for the GEMM's b = w (k = out, n = in:
// dgrad) or, `transposed`, b = wᵀ (k = in, n = out: forward).
void quantize_weight(const float* w, int64_t out, int64_t in, bool transposed, Operand& o) {
  quantize_into(w, out, in, fp8::kWeightBlock, o);
  const int64_t in_tiles = fp8::tiles(in, kBlock);
  const std::vector<float>& ws = o.tile_scales;  // [out tiles, in tiles]
  if (transposed) {
    fill_b_scales(o, in, out, [&](int64_t kb, int64_t j) {
      return ws[size_t((j / kBlock) * in_tiles + kb)];
    });
  } else {
    fill_b_scales(o, out, in, [&](int64_t kb, int64_t j) {
      return ws[size_t(kb * in_tiles + j / kBlock)];
    });
  }
}

// a packed by bf16_pack_rows, or (a_as_pairs) by bf16_pack_pairs from its [k, m] transpose.
void run(const Scratch& s, int64_t m, int64_t n, int64_t k, bool a_as_pairs,
         GemmPrecision precision, float* y, bool accumulate) {
  Bf16Gemm g;
  g.a = s.a.packed.data();
  g.a_pairs = a_as_pairs;
  g.b = s.b.packed.data();
  g.m = m;
  g.n = n;
  g.k = k;
  if (precision == GemmPrecision::kFP8) {
    g.block_k = kBlock;
    g.a_scales = s.a.scales.data();
    g.b_scales = s.b.scales.data();
  }
  g.y = y;
  g.accumulate = accumulate;
  bf16_gemm(g);
}

}  // namespace

bool gemm_on_bf16_units_available() { return bf16_gemm_available(); }

void bf16_unit_forward(const float* x, int64_t n, const float* w, int64_t out, int64_t in,
                       float* y, GemmPrecision precision) {
  Scratch& s = scratch();
  if (precision == GemmPrecision::kFP8) {
    quantize_into(x, n, in, fp8::kActivationTile, s.a);  // scales [n, in tiles]: a_scales as is
    s.a.scales.swap(s.a.tile_scales);
    quantize_weight(w, out, in, true, s.b);
  }
  bf16_pack_rows(source(x, s.a, precision), n, in, s.a.packed);
  bf16_pack_pairs(source(w, s.b, precision), in, out, true, s.b.packed);  // b = wᵀ
  run(s, n, out, in, false, precision, y, false);
}

void bf16_unit_dgrad(const float* dy, int64_t n, const float* w, int64_t out, int64_t in,
                     float* dx, bool accumulate_dx, GemmPrecision precision) {
  Scratch& s = scratch();
  if (precision == GemmPrecision::kFP8) {
    quantize_into(dy, n, out, fp8::kActivationTile, s.a);  // [n, out tiles]: a_scales as is
    s.a.scales.swap(s.a.tile_scales);
    quantize_weight(w, out, in, false, s.b);
  }
  bf16_pack_rows(source(dy, s.a, precision), n, out, s.a.packed);
  bf16_pack_pairs(source(w, s.b, precision), out, in, false, s.b.packed);
  run(s, n, in, out, false, precision, dx, accumulate_dx);
}

void bf16_unit_wgrad(const float* x, const float* dy, int64_t n, int64_t out, int64_t in,
                     float* g, GemmPrecision precision) {
  // dW = dyᵀ · x: a = dyᵀ [out, n] and b = x [n, in], both reduced over tokens, so both are
  // quantized in 128x1 token tiles.
  Scratch& s = scratch();
  if (precision == GemmPrecision::kFP8) {
    quantize_into(dy, n, out, fp8::kTokenTile, s.a);  // scales [n tiles, out]
    const int64_t blocks = fp8::tiles(n, kBlock);
    s.a.scales.resize(size_t(out * blocks));
    for (int64_t i = 0; i < out; ++i)
      for (int64_t kb = 0; kb < blocks; ++kb)
        s.a.scales[size_t(i * blocks + kb)] = s.a.tile_scales[size_t(kb * out + i)];
    quantize_into(x, n, in, fp8::kTokenTile, s.b);  // scales [n tiles, in]
    const std::vector<float>& xs = s.b.tile_scales;
    fill_b_scales(s.b, n, in, [&](int64_t kb, int64_t j) { return xs[size_t(kb * in + j)]; });
  }
  bf16_pack_pairs(source(dy, s.a, precision), n, out, false, s.a.packed);  // a = dyᵀ as pairs
  bf16_pack_pairs(source(x, s.b, precision), n, in, false, s.b.packed);
  run(s, out, in, n, true, precision, g, true);
}

}  // namespace fathom::train_ops
