#include "model/model_info.h"

#include <filesystem>

#include "core/quant_format.h"

namespace fathom {
namespace {

int64_t attention_params(const ModelConfig& c) {
  const int64_t d = c.hidden_size, heads = c.num_attention_heads;
  int64_t n = 0;
  if (c.q_lora_rank) {
    n += d * *c.q_lora_rank + *c.q_lora_rank + *c.q_lora_rank * heads * c.qk_head_dim();
  } else {
    n += d * heads * c.qk_head_dim();
  }
  n += d * (c.kv_lora_rank + c.qk_rope_head_dim) + c.kv_lora_rank;
  n += c.kv_lora_rank * heads * (c.qk_nope_head_dim + c.v_head_dim);
  n += heads * c.v_head_dim * d;
  return n;
}

// {all parameters, parameters used per token} of decoder layer `layer`.
std::pair<int64_t, int64_t> layer_params(const ModelConfig& c, int64_t layer) {
  const int64_t d = c.hidden_size;
  const int64_t common = 2 * d + attention_params(c);
  if (!c.is_moe_layer(layer)) {
    const int64_t n = common + 3 * d * c.intermediate_size;
    return {n, n};
  }
  const int64_t experts = *c.n_routed_experts, expert = 3 * d * c.moe_intermediate_size;
  int64_t router = experts * d;
  if (c.topk_method == TopkMethod::kNoauxTc) router += experts;  // e_score_correction_bias
  const int64_t shared = expert * c.n_shared_experts;
  return {common + router + shared + experts * expert,
          common + router + shared + c.num_experts_per_tok * expert};
}

}  // namespace

ParamCounts count_parameters(const ModelConfig& c) {
  const int64_t d = c.hidden_size, vocab = c.vocab_size;
  ParamCounts p;
  p.main = p.active = 2 * vocab * d + d;  // embed_tokens, lm_head, model.norm
  for (int64_t layer = 0; layer < c.num_hidden_layers; ++layer) {
    const auto [all, used] = layer_params(c, layer);
    p.main += all;
    p.active += used;
  }
  for (int64_t k = 0; k < c.num_nextn_predict_layers; ++k) {
    // embed_tokens, enorm, hnorm, eh_proj, block, shared_head.norm, shared_head.head
    p.mtp += vocab * d + 2 * d + 2 * d * d + layer_params(c, c.num_hidden_layers + k).first + d +
             vocab * d;
  }
  p.total = p.main + p.mtp;
  return p;
}

int64_t kv_bytes_per_token(const ModelConfig& c, int64_t element_size) {
  return (c.kv_lora_rank + c.qk_rope_head_dim) * c.num_hidden_layers * element_size;
}

StorageSummary summarize_storage(const Checkpoint& checkpoint) {
  StorageSummary s;
  for (const auto& file : checkpoint.files()) {
    s.file_bytes += int64_t(std::filesystem::file_size(file->path()));
    for (const auto& [name, info] : file->header().tensors) {
      s.bytes_by_dtype[dtype_name(info.dtype)] += int64_t(info.end - info.begin);
      if (!name.ends_with("_scale_inv") && !name.ends_with(kGroupScaleSuffix)) {
        s.weight_elements += info.numel();
      }
    }
  }
  return s;
}

double active_weight_bytes(const Checkpoint& checkpoint, const ModelConfig& c) {
  double bytes = 0;
  const double expert_share = c.n_routed_experts ? double(c.num_experts_per_tok) / double(*c.n_routed_experts) : 1.0;
  for (const auto& file : checkpoint.files()) {
    for (const auto& [name, info] : file->header().tensors) {
      const double stored = double(info.end - info.begin);
      if (name.starts_with("model.layers.")) {
        const int64_t layer = std::stoll(name.substr(13));
        if (layer >= c.num_hidden_layers) continue;  // MTP module: not run when decoding plainly
        bytes += name.find(".mlp.experts.") != std::string::npos ? stored * expert_share : stored;
      } else if (name.starts_with("model.embed_tokens.")) {
        bytes += stored / double(c.vocab_size);  // one row looked up
      } else {
        bytes += stored;
      }
    }
  }
  return bytes;
}

double prefill_flops(const ModelConfig& c, int64_t n, int64_t depth) {
  const ParamCounts p = count_parameters(c);
  const int64_t d = c.hidden_size, vocab = c.vocab_size;
  // Active matrices per token, less the embedding lookup, the head (once) and the norm vectors
  // (their handful of FLOPs are not multiply-adds of a matrix).
  const double per_token = double(p.active - 2 * vocab * d);
  const double attention = double(c.num_attention_heads) * double(c.qk_head_dim() + c.v_head_dim) *
                           (double(n) * double(depth) + double(n) * double(n + 1) / 2.0) *
                           double(c.num_hidden_layers);
  return 2.0 * (per_token * double(n) + attention + double(vocab * d));
}

}  // namespace fathom
