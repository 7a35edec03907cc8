// Sizes a user asks about before running a model: parameter counts (total, active per token,
// MTP), KV-cache bytes per token, bytes per stored dtype.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "io/checkpoint.h"
#include "model/config.h"

namespace fathom {

struct ParamCounts {
  int64_t total = 0;   // every parameter of the main model and the MTP modules
  int64_t main = 0;    // main model only (DeepSeek's headline count, e.g. V3: 671B)
  int64_t mtp = 0;     // MTP modules (V3: 14B, embedding and head copies included)
  int64_t active = 0;  // used per token by the main model: all but the unchosen routed experts
};

// From the config alone (so it also describes checkpoints not on disk). For a checkpoint that
// loads, `total` equals the sum of its tensors' elements, block scales excluded.
ParamCounts count_parameters(const ModelConfig& config);

// KV-cache bytes per token: MLA caches only the normalized latent and the shared rope key,
// (kv_lora_rank + qk_rope_head_dim) values per layer (V3: 576), here in float32.
int64_t kv_bytes_per_token(const ModelConfig& config, int64_t element_size = 4);

// Stored bytes per safetensors dtype ("BF16" -> bytes), and the element count of all tensors
// except FP8 block scales.
struct StorageSummary {
  std::map<std::string, int64_t> bytes_by_dtype;
  int64_t weight_elements = 0;
  int64_t file_bytes = 0;
};
StorageSummary summarize_storage(const Checkpoint& checkpoint);

// Stored bytes (scales included) one decoded token reads from the weights of the main model:
// every tensor except the embedding (one row), the MTP modules (none) and the routed experts
// (num_experts_per_tok of n_routed_experts, on average). With the memory bandwidth this gives
// the decode ceiling: tokens/s <= bandwidth / active bytes.
double active_weight_bytes(const Checkpoint& checkpoint, const ModelConfig& config);

// Multiply-add FLOPs (2 per weight use) of one prefill of n tokens after `depth` cached ones,
// computing logits for the last position only: the active matrices for every token, attention's
// QK and PV products over the cache and the causal triangle, the output head once.
double prefill_flops(const ModelConfig& config, int64_t n, int64_t depth = 0);

}  // namespace fathom
