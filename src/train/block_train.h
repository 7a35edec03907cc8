// One decoder layer for training (DeepSeek-V3 report §2.1): pre-norm attention, then pre-norm
// FFN (dense SwiGLU or DeepSeekMoE), each added to the residual stream.
//   xn1 = rms(h_in, input_layernorm);          h_mid = h_in + MLA(xn1)
//   xn2 = rms(h_mid, post_attention_layernorm); h_out = h_mid + FFN(xn2)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "model/rope.h"
#include "train/mla_train.h"
#include "train/mlp_train.h"
#include "train/moe_train.h"

namespace fathom {

class BlockTrain {
 public:
  // `precision`: the GEMM inputs of the attention projections and the FFN (gemm_precision.h).
  BlockTrain(ParamStore& store, const RopeTables& rope, int64_t layer, int64_t max_tokens,
             int64_t max_seq_len, GemmPrecision precision);

  // h_in, h_out: [n_seq * seq_len, hidden]; h_in must stay alive until backward().
  // `balance` applies to a MoE layer's balance loss (ignored by dense layers).
  void forward(const float* h_in, int64_t n_seq, int64_t seq_len, const BalanceLoss& balance,
               float* h_out);
  // dh_in = d(loss)/d(h_in) (overwritten); parameter gradients accumulate.
  void backward(const float* dh_out, float* dh_in);

  int64_t layer() const { return layer_; }
  const MoeTrain* moe() const { return moe_.get(); }

 private:
  const ModelConfig& c_;
  int64_t layer_;
  Param* input_layernorm_;
  Param* post_attention_layernorm_;
  MlaTrain attention_;
  std::unique_ptr<MlpTrain> mlp_;
  std::unique_ptr<MoeTrain> moe_;
  const float* h_in_ = nullptr;
  int64_t n_ = 0;
  std::vector<float> xn1_, rstd1_, attn_out_, h_mid_, xn2_, rstd2_, ffn_out_;
  std::vector<float> dxn1_, dh_mid_, dxn2_;
};

}  // namespace fathom
