// What the decoder blocks' stored GEMM inputs cost in memory: the activations X a block keeps
// from its forward pass until the weight gradient dW = dYᵀ·X of the backward, per storage
// format. The DeepSeek-V3 report (§3.3.3) caches these in FP8 (plus one fp32 scale per 1x128
// tile); this training code keeps them in fp32 in every --precision mode and quantizes in the
// backward (ops.h), so these numbers are what FP8 caching WOULD take, computed from the shapes
// TrainModel allocates for a batch:
//   per decoder layer (N = batch·seq_len rows) and for the MTP layer (N = batch·(seq_len − 1)):
//   attention: the normed input x [N, hidden] (shared by q_a/q and kv_a), q_a_layernorm's output
//              [N, q_lora_rank] (if any), kv_a_layernorm's output [N, kv_lora_rank], the heads'
//              concatenated output [N, heads·v_head_dim] (o_proj)
//   dense FFN: x [N, hidden] (shared by gate and up), silu(g)·u [N, intermediate] (down)
//   MoE:       the routed experts' gathered inputs [N·top_k, hidden] and silu(g)·u
//              [N·top_k, moe_intermediate]; the shared experts' silu(g)·u [N, shared width].
//              The layer input x [N, hidden] is left out: the router, kept in full precision,
//              needs it in fp32 for its own weight gradient anyway.
// eh_proj, lm_head (bf16 outside fp32 mode) and the router (fp32) are not FP8 GEMMs and not
// counted.
#pragma once

#include <cstdint>

#include "model/config.h"

namespace fathom {

struct GemmInputStorage {
  int64_t elements = 0;    // Σ rows·cols over the stored GEMM inputs
  int64_t fp8_scales = 0;  // Σ rows·⌈cols/128⌉: one fp32 scale per 1x128 tile
  int64_t fp32_bytes() const { return 4 * elements; }
  int64_t bf16_bytes() const { return 2 * elements; }
  int64_t fp8_bytes() const { return elements + 4 * fp8_scales; }
};

GemmInputStorage gemm_input_storage(const ModelConfig& config, int64_t batch, int64_t seq_len);

}  // namespace fathom
