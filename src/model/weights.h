// Every tensor of a DeepSeek-V2/V3 checkpoint, bound by its official name with its shape
// checked against the config. Matrices stay in the memory map in their stored dtype (FP8 stays
// FP8, with its 128x128 block scales); only 1-D tensors (norms, router bias) are widened to f32.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "kernels/matrix.h"
#include "model/config.h"

namespace fathom {

struct MlpWeights {  // SwiGLU: down(silu(gate(x)) * up(x))
  MatrixRef gate_proj;  // [intermediate, hidden]
  MatrixRef up_proj;    // [intermediate, hidden]
  MatrixRef down_proj;  // [hidden, intermediate]
};

struct AttentionWeights {  // Multi-head Latent Attention (DeepSeek-V2 report §2.1)
  // Low-rank query path (q_lora_rank set): q_b_proj(q_a_layernorm(q_a_proj(x))).
  std::optional<MatrixRef> q_a_proj;    // [q_lora_rank, hidden]
  std::vector<float> q_a_layernorm;     // [q_lora_rank]
  std::optional<MatrixRef> q_b_proj;    // [heads * qk_head_dim, q_lora_rank]
  std::optional<MatrixRef> q_proj;      // [heads * qk_head_dim, hidden] when q_lora_rank is null
  MatrixRef kv_a_proj_with_mqa;         // [kv_lora_rank + qk_rope_head_dim, hidden]
  std::vector<float> kv_a_layernorm;    // [kv_lora_rank]
  MatrixRef kv_b_proj;                  // [heads * (qk_nope_head_dim + v_head_dim), kv_lora_rank]
  MatrixRef o_proj;                     // [hidden, heads * v_head_dim]
};

struct MoeWeights {  // DeepSeekMoE (DeepSeek-V3 report §2.1.2)
  MatrixRef gate;                               // router [n_routed_experts, hidden]
  std::vector<float> e_score_correction_bias;   // [n_routed_experts]; noaux_tc only, else empty
  std::vector<MlpWeights> experts;              // n_routed_experts, width moe_intermediate_size
  std::optional<MlpWeights> shared_experts;     // width moe_intermediate_size * n_shared_experts
};

struct DecoderLayerWeights {
  std::vector<float> input_layernorm;           // [hidden]
  AttentionWeights self_attn;
  std::vector<float> post_attention_layernorm;  // [hidden]
  std::optional<MlpWeights> mlp;                // dense layers
  std::optional<MoeWeights> moe;                // MoE layers (config.is_moe_layer)
};

struct MtpWeights {  // Multi-Token Prediction module (DeepSeek-V3 report §2.2)
  MatrixRef embed_tokens;              // [vocab, hidden] (a copy of model.embed_tokens)
  std::vector<float> enorm;            // [hidden]
  std::vector<float> hnorm;            // [hidden]
  MatrixRef eh_proj;                   // [hidden, 2 * hidden]: input is [enorm(e) ; hnorm(h)]
  DecoderLayerWeights block;
  std::vector<float> shared_head_norm; // [hidden]
  MatrixRef shared_head_head;          // [vocab, hidden] (a copy of lm_head)
};

struct ModelWeights {
  MatrixRef embed_tokens;               // [vocab, hidden]
  std::vector<DecoderLayerWeights> layers;
  std::vector<float> norm;              // [hidden]
  MatrixRef lm_head;                    // [vocab, hidden]
  std::vector<MtpWeights> mtp;          // num_nextn_predict_layers modules
};

// Binds every tensor the config calls for. Throws Error naming the tensor, its file, and the
// expected vs found dtype or shape; also refuses tensors the config does not account for.
ModelWeights bind_model_weights(const Checkpoint& checkpoint, const ModelConfig& config);

// One weight matrix by name, checked like bind_model_weights does (shape, dtype, scales).
MatrixRef bind_matrix(const Checkpoint& checkpoint, const ModelConfig& config,
                      const std::string& name, int64_t rows, int64_t cols);

}  // namespace fathom
