#include "train/block_train.h"

#include <algorithm>

#include "train/ops.h"

namespace fathom {

using namespace train_ops;

BlockTrain::BlockTrain(ParamStore& store, const RopeTables& rope, int64_t layer,
                       int64_t max_tokens, int64_t max_seq_len, GemmPrecision precision)
    : c_(store.config()),
      layer_(layer),
      input_layernorm_(&store.get("model.layers." + std::to_string(layer) + ".input_layernorm.weight")),
      post_attention_layernorm_(&store.get("model.layers." + std::to_string(layer) +
                                           ".post_attention_layernorm.weight")),
      attention_(store.config(), rope,
                 AttentionParams::bind(store, "model.layers." + std::to_string(layer) + ".self_attn."),
                 max_tokens, max_seq_len, precision) {
  const std::string p = "model.layers." + std::to_string(layer) + ".mlp.";
  if (c_.is_moe_layer(layer)) {
    moe_ = std::make_unique<MoeTrain>(c_, MoeParams::bind(store, p), max_tokens, precision);
  } else {
    mlp_ = std::make_unique<MlpTrain>(MlpParams::bind(store, p), max_tokens, precision);
  }
  const auto size = size_t(max_tokens * c_.hidden_size);
  for (auto* v : {&xn1_, &attn_out_, &h_mid_, &xn2_, &ffn_out_, &dxn1_, &dh_mid_, &dxn2_}) {
    v->resize(size);
  }
  rstd1_.resize(size_t(max_tokens));
  rstd2_.resize(size_t(max_tokens));
}

void BlockTrain::forward(const float* h_in, int64_t n_seq, int64_t seq_len,
                         const BalanceLoss& balance, float* h_out) {
  h_in_ = h_in;
  n_ = n_seq * seq_len;
  const int64_t d = c_.hidden_size, count = n_ * d;
  const float eps = float(c_.rms_norm_eps);
  rms_norm_forward(h_in, n_, d, *input_layernorm_, eps, xn1_.data(), rstd1_.data());
  attention_.forward(xn1_.data(), n_seq, seq_len, attn_out_.data());
  add(h_in, attn_out_.data(), count, h_mid_.data());
  rms_norm_forward(h_mid_.data(), n_, d, *post_attention_layernorm_, eps, xn2_.data(),
                   rstd2_.data());
  if (moe_) {
    moe_->forward(xn2_.data(), n_seq, seq_len, balance, ffn_out_.data());
  } else {
    mlp_->forward(xn2_.data(), n_, ffn_out_.data());
  }
  add(h_mid_.data(), ffn_out_.data(), count, h_out);
}

void BlockTrain::backward(const float* dh_out, float* dh_in) {
  const int64_t d = c_.hidden_size, count = n_ * d;
  std::fill(dxn2_.begin(), dxn2_.begin() + count, 0.0f);
  if (moe_) {
    moe_->backward(dh_out, dxn2_.data());
  } else {
    mlp_->backward(dh_out, dxn2_.data());
  }
  std::copy(dh_out, dh_out + count, dh_mid_.begin());
  rms_norm_backward_accum(h_mid_.data(), rstd2_.data(), dxn2_.data(), n_, d,
                          *post_attention_layernorm_, dh_mid_.data());
  std::fill(dxn1_.begin(), dxn1_.begin() + count, 0.0f);
  attention_.backward(dh_mid_.data(), dxn1_.data());
  std::copy(dh_mid_.begin(), dh_mid_.begin() + count, dh_in);
  rms_norm_backward_accum(h_in_, rstd1_.data(), dxn1_.data(), n_, d, *input_layernorm_, dh_in);
}

}  // namespace fathom
