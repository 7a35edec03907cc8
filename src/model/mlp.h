// SwiGLU feed-forward (Shazeer 2020, arXiv 2002.05202): down(silu(gate(x)) * up(x)).
#pragma once

#include <cstdint>
#include <span>

#include "model/weights.h"

namespace fathom {

// x [n, hidden] -> out [n, hidden]
void mlp_forward(const MlpWeights& w, const float* x, int64_t n, float* out);

// One SwiGLU FFN over m rows: an expert and the tokens routed to it, or a dense MLP.
struct SwigluJob {
  const MlpWeights* w = nullptr;
  const float* x = nullptr;  // [m, hidden]
  int64_t m = 0;
  float* out = nullptr;  // [m, hidden]
};

// Runs every job (the same floats as mlp_forward on each). The jobs' weight rows are cut into
// chunks spread over the thread pool by cost in two phases — gate and up with silu(g)·u fused,
// then down — so a MoE layer's experts cost two barriers, not three per expert, and the threads
// stay busy however unevenly the tokens were routed.
void swiglu_forward_batch(std::span<const SwigluJob> jobs);

}  // namespace fathom
