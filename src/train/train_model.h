// The whole DeepSeek-V2/V3 model for training: embedding → decoder layers → model.norm → lm_head
// → cross entropy, plus the depth-1 MTP module (DeepSeek-V3 report §2.2) and the balance losses,
// with the backward pass of all of it. Activation storage is sized once, for the batch shape
// given at construction.
//
// Losses for ids [B, T+1] (inputs ids[:, :T], targets ids[:, 1:]; oracle "Training cases"):
//   main_ce = mean over B·T positions of −log softmax(logits)[target]
//   mtp_ce  = mean over B·(T−1) rows: row i sees eh_proj([enorm(Emb(ids[i+1])) ; hnorm(h_i)])
//             (h_i after model.norm, nothing detached) and predicts ids[i+2]
//   balance = Σ over MoE layers (MTP layer included, unscaled, unless !mtp_balance) of mean over
//             sequences of L_Bal
//   total   = main_ce + λ·mtp_ce + balance
// A caller may put its own loss on the main logits in place of main_ce (LossWeights::main_loss;
// the GRPO trainer's clipped policy objective, rl/grpo_trainer.h); MTP and balance are unchanged.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/rope.h"
#include "train/block_train.h"
#include "train/params.h"

namespace fathom {

struct LossWeights {
  double lambda_mtp = 0.3;  // V3 report §4.2 (first 10T tokens)
  double alpha = 1e-4;      // V3 report §4.2, balance factor
  BalanceCount balance_count = BalanceCount::kTopk;  // what f_i counts (moe_train.h)
  bool mtp_balance = true;  // the MTP layer's MoE adds its own (unscaled) balance term
  // Replaces next-token cross entropy on the main logits when set: given the logits of every
  // training position, [rows = n_seq·seq_len, vocab] (row b·seq_len + i follows ids[b, :i+1]),
  // returns the loss and overwrites dlogits [rows, vocab] with d(loss)/d(logits) (zero on rows
  // without a term). StepLosses::main_ce then holds what it returned. Empty: cross entropy.
  std::function<double(const float* logits, int64_t rows, int64_t vocab, float* dlogits)>
      main_loss;
};

// Throws Error(kInvalidArgument) for a negative or non-finite lambda_mtp or alpha.
void validate(const LossWeights& weights);

struct StepLosses {
  double main_ce = 0.0;
  std::optional<double> mtp_ce;  // none without an MTP module
  double balance = 0.0;
  double total = 0.0;
  std::vector<std::pair<std::string, double>> balance_per_layer;  // "model.layers.L.mlp"
};

// Routed load of one MoE layer in the last forward pass (bias before any update).
struct LayerLoad {
  int64_t layer = 0;
  bool mtp_layer = false;
  int64_t tokens = 0;
  std::vector<int64_t> counts;  // [n_routed_experts]
  Param* bias = nullptr;        // e_score_correction_bias (noaux_tc), else null
};

class TrainModel {
 public:
  // Storage for batches of up to `batch` sequences of `seq_len` training positions.
  // `precision` sets the GEMM inputs inside every decoder block, the MTP block's included
  // (gemm_precision.h). lm_head and MTP's eh_proj keep the "original precision" of the report's
  // framework: fp32 in fp32 mode, bf16 otherwise. Embedding and norms stay fp32.
  TrainModel(ParamStore& store, int64_t batch, int64_t seq_len,
             GemmPrecision precision = GemmPrecision::kF32);
  ~TrainModel();

  // ids: [n_seq, seq_len + 1] row-major, n_seq <= batch. Runs the forward pass and, when
  // `backward`, accumulates d(total)/d(param) into every Param::grad (callers zero first).
  // Throws Error(kInvalidArgument) for an id outside the vocabulary or a bad shape.
  StepLosses run(const std::vector<int32_t>& ids, int64_t n_seq, const LossWeights& weights,
                 bool backward);

  // Loads of every MoE layer (main layers, then the MTP layer) in the last run().
  std::vector<LayerLoad> loads() const;
  // Main-model logits of the last run(): [n_seq * seq_len, vocab].
  const std::vector<float>& logits() const { return logits_; }
  int64_t batch() const { return batch_; }
  int64_t seq_len() const { return seq_len_; }
  GemmPrecision precision() const { return precision_; }

 private:
  void embed(const Param& table, const int32_t* ids, int64_t stride, int64_t offset,
             int64_t n_seq, int64_t len, float* out) const;
  void embed_backward(Param& table, const int32_t* ids, int64_t stride, int64_t offset,
                      int64_t n_seq, int64_t len, const float* d_out) const;

  ParamStore& store_;
  const ModelConfig& c_;
  RopeTables rope_;
  int64_t batch_, seq_len_;
  GemmPrecision precision_, head_precision_;
  std::vector<std::unique_ptr<BlockTrain>> blocks_;
  std::unique_ptr<BlockTrain> mtp_block_;
  Param *embed_tokens_, *norm_, *lm_head_;
  Param *enorm_ = nullptr, *hnorm_ = nullptr, *eh_proj_ = nullptr, *shared_head_norm_ = nullptr;
  // The MTP module's embedding and head: the main model's when the store ties them (MtpTying).
  Param *mtp_embed_ = nullptr, *mtp_head_ = nullptr;
  // main activations: residual stream before each layer and after the last, [L+1][n, hidden]
  std::vector<std::vector<float>> h_;
  std::vector<float> norm_rstd_, hn_, logits_, dlogits_, dh_a_, dh_b_, dhn_;
  std::vector<int32_t> targets_;
  // MTP activations, [B·(T−1), ...]
  std::vector<float> m_emb_, m_en_, m_en_rstd_, m_hh_rstd_, m_cat_, m_x_, m_out_, m_y_,
      m_y_rstd_, m_logits_, m_dlogits_, m_dcat_, m_hh_, m_den_, m_dhh_, m_dhin_, m_dx_, m_dout_, m_dy_, m_demb_, m_hin_;
  std::vector<int32_t> m_targets_;
};

}  // namespace fathom
