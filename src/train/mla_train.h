// Multi-head Latent Attention (DeepSeek-V2 report §2.1, eqs. 9-19) with its backward pass, for
// training: the naive (non-absorbed) form, whole sequences, causal softmax attention.
//   q      = q_b_proj(q_a_layernorm(q_a_proj(x)))   or q_proj(x)     [n, heads, nope + rope]
//   [c;kr] = kv_a_proj_with_mqa(x)                                   [n, kv_lora_rank + rope]
//   [kn;v] = kv_b_proj(kv_a_layernorm(c))                            [n, heads, nope + v_head]
//   score  = softmax_scale · (q_nope·k_nope + rope(q_pe)·rope(k_pe)), causal softmax
//   y      = o_proj(concat_heads(P · v))
// k_pe is one rope key shared by all heads (MQA-style), so its gradient sums over heads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/rope.h"
#include "train/gemm_precision.h"
#include "train/ops.h"
#include "train/params.h"

namespace fathom {

struct AttentionParams {
  Param* q_a_proj = nullptr;       // low-rank query path (q_lora_rank set)
  Param* q_a_layernorm = nullptr;
  Param* q_b_proj = nullptr;
  Param* q_proj = nullptr;         // direct query (q_lora_rank null, V2-Lite)
  Param* kv_a_proj_with_mqa = nullptr;
  Param* kv_a_layernorm = nullptr;
  Param* kv_b_proj = nullptr;
  Param* o_proj = nullptr;
  // prefix: "model.layers.{L}.self_attn."
  static AttentionParams bind(ParamStore& store, const std::string& prefix);
};

class MlaTrain {
 public:
  // Activation storage for up to max_tokens rows in sequences of up to max_seq_len, sized once.
  // `precision` applies to the projections (q_a/q_b or q, kv_a, kv_b, o); the attention core
  // (scores, softmax, P·V) stays fp32 (V3 report §3.3.1).
  MlaTrain(const ModelConfig& config, const RopeTables& rope, AttentionParams params,
           int64_t max_tokens, int64_t max_seq_len, GemmPrecision precision);

  // x, y: [n_seq * seq_len, hidden]; sequence b occupies rows b*seq_len .. (b+1)*seq_len-1 and
  // sees positions 0..seq_len-1. x must stay alive and unchanged until backward().
  void forward(const float* x, int64_t n_seq, int64_t seq_len, float* y);
  // dy: [n, hidden]. dx += d(loss)/dx; parameter gradients accumulate.
  void backward(const float* dy, float* dx);

 private:
  // One (sequence, head) pair each: the pairs run in parallel, each with dense [T, T] products
  // through the kernel table (the causal upper triangle is computed and masked: at T = 128 that
  // costs less than scalar loops over the lower one).
  void attention_forward(int64_t b, int64_t h);
  void attention_backward(int64_t b, int64_t h);
  // Copies head h of sequence b out of the interleaved activations: q [T, qk], k = [k_nope ;
  // k_pe] [T, qk], v [T, v_head].
  void gather_head(int64_t b, int64_t h, float* q, float* k, float* v) const;

  const ModelConfig& c_;
  const RopeTables& rope_;
  train_ops::RopeCache rope_cache_;  // [max_seq_len] positions
  AttentionParams p_;
  GemmPrecision precision_;
  int64_t max_tokens_, max_seq_len_;
  const float* x_ = nullptr;
  int64_t n_seq_ = 0, seq_len_ = 0, n_ = 0;
  int64_t heads_, nope_, rope_dim_, v_dim_, qk_, kv_rank_, q_rank_;
  // forward activations
  std::vector<float> q_a_, q_a_rstd_, q_a_n_;  // [n, q_lora_rank]
  std::vector<float> q_;                       // [n, heads, qk]: pe part rotated in place
  std::vector<float> kv_a_;                    // [n, kv_lora_rank + rope]: rope part rotated
  std::vector<float> c_rstd_, c_n_;            // [n], [n, kv_lora_rank]
  std::vector<float> kv_;                      // [n, heads, nope + v_head]
  std::vector<float> probs_;                   // [n_seq, heads, seq_len, seq_len]
  std::vector<float> o_;                       // [n, heads * v_head]
  // backward scratch; dk_pe_ [n, heads, rope] holds each head's share of the shared rope key's
  // gradient, summed over heads in order after the parallel section
  std::vector<float> d_o_, dq_, dkv_, dkv_a_, dc_n_, dq_a_n_, dq_a_, dk_pe_;
};

}  // namespace fathom
