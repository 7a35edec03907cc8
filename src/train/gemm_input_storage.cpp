#include "train/gemm_input_storage.h"

#include "train/fp8_quant.h"

namespace fathom {

namespace {

void add(GemmInputStorage& s, int64_t rows, int64_t cols) {
  s.elements += rows * cols;
  s.fp8_scales += rows * fp8::tiles(cols, fp8::kActivationTile.cols);
}

// One decoder layer's stored GEMM inputs for n rows (the list in the header).
void add_layer(GemmInputStorage& s, const ModelConfig& c, int64_t layer, int64_t n) {
  add(s, n, c.hidden_size);
  if (c.q_lora_rank) add(s, n, *c.q_lora_rank);
  add(s, n, c.kv_lora_rank);
  add(s, n, c.num_attention_heads * c.v_head_dim);
  if (c.is_moe_layer(layer)) {
    const int64_t routed = n * c.num_experts_per_tok;
    add(s, routed, c.hidden_size);
    add(s, routed, c.moe_intermediate_size);
    if (c.n_shared_experts > 0) add(s, n, c.n_shared_experts * c.moe_intermediate_size);
  } else {
    add(s, n, c.hidden_size);
    add(s, n, c.intermediate_size);
  }
}

}  // namespace

GemmInputStorage gemm_input_storage(const ModelConfig& c, int64_t batch, int64_t seq_len) {
  GemmInputStorage s;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) add_layer(s, c, l, batch * seq_len);
  if (c.num_nextn_predict_layers == 1) {
    add_layer(s, c, c.num_hidden_layers, batch * (seq_len - 1));
  }
  return s;
}

}  // namespace fathom
