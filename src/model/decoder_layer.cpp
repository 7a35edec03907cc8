#include "model/decoder_layer.h"

#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/mlp.h"
#include "model/moe.h"
#include "model/scratch.h"

namespace fathom {
namespace {

// Rows per range of the row-wise steps (a 7168-wide row is ~1 µs of work).
constexpr int64_t kRowGrain = 16;

// The calling thread's buffers (model/scratch.h).
thread_local std::vector<float> t_normed, t_delta;  // [n, hidden]

// out[t] = rms_norm(h[t] + delta[t]) for every row, h updated in place; delta == nullptr: no add.
void add_then_norm_rows(float* h, const float* delta, const std::vector<float>& weight, int64_t n,
                        float eps, float* out) {
  const int64_t d = int64_t(weight.size());
  parallel_for(n, kRowGrain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      float* row = h + t * d;
      if (delta) {
        for (int64_t i = 0; i < d; ++i) row[i] += delta[t * d + i];
      }
      kernels().rms_norm(row, weight.data(), d, eps, out + t * d);
    }
  });
}

void add_rows(float* h, const float* delta, int64_t n, int64_t d) {
  parallel_for(n, kRowGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b * d; i < e * d; ++i) h[i] += delta[i];
  });
}

}  // namespace

void decoder_layer_forward(const ModelConfig& c, const DecoderLayerWeights& w,
                           const RopeTables& rope, float* h,
                           std::span<const AttentionSegment> segments, AttentionPath path) {
  const float eps = float(c.rms_norm_eps);
  int64_t n = 0;
  for (const auto& s : segments) n += s.n;
  float* normed = scratch(t_normed, n * c.hidden_size);  // [n, hidden]
  float* delta = scratch(t_delta, n * c.hidden_size);    // [n, hidden]

  add_then_norm_rows(h, nullptr, w.input_layernorm, n, eps, normed);
  mla_forward(c, w.self_attn, rope, normed, segments, path, delta);
  add_then_norm_rows(h, delta, w.post_attention_layernorm, n, eps, normed);  // h += attn
  if (w.moe) {
    moe_forward(c, *w.moe, normed, n, delta);
  } else {
    mlp_forward(*w.mlp, normed, n, delta);
  }
  add_rows(h, delta, n, c.hidden_size);
}

}  // namespace fathom
