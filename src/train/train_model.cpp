#include "train/train_model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "core/error.h"
#include "train/ops.h"

namespace fathom {

using namespace train_ops;

void validate(const LossWeights& w) {
  for (const auto& [value, name] :
       {std::pair{w.lambda_mtp, "lambda_mtp"}, std::pair{w.alpha, "alpha"}}) {
    if (!(std::isfinite(value) && value >= 0)) {
      fail(ErrorKind::kInvalidArgument,
           std::string(name) + " = " + std::to_string(value) + ": expected a finite value >= 0");
    }
  }
}

TrainModel::TrainModel(ParamStore& store, int64_t batch, int64_t seq_len,
                       GemmPrecision precision)
    : store_(store), c_(store.config()), rope_(make_rope_tables(store.config())), batch_(batch),
      seq_len_(seq_len), precision_(precision),
      head_precision_(precision == GemmPrecision::kF32 ? GemmPrecision::kF32 : GemmPrecision::kBF16) {
  if (batch < 1 || seq_len < 2) {
    fail(ErrorKind::kInvalidArgument, "training needs batch >= 1 and seq_len >= 2 (MTP is "
                                      "defined on seq_len - 1 positions)");
  }
  const int64_t n = batch * seq_len, d = c_.hidden_size, V = c_.vocab_size;
  for (int64_t l = 0; l < c_.num_hidden_layers; ++l) {
    blocks_.push_back(std::make_unique<BlockTrain>(store, rope_, l, n, seq_len, precision));
  }
  embed_tokens_ = &store.get("model.embed_tokens.weight");
  norm_ = &store.get("model.norm.weight");
  lm_head_ = &store.get("lm_head.weight");
  h_.assign(size_t(c_.num_hidden_layers + 1), std::vector<float>(size_t(n * d)));
  norm_rstd_.resize(size_t(n));
  for (auto* v : {&hn_, &dh_a_, &dh_b_, &dhn_}) v->resize(size_t(n * d));
  logits_.resize(size_t(n * V));
  dlogits_.resize(size_t(n * V));
  targets_.resize(size_t(n));
  if (c_.num_nextn_predict_layers > 1) {
    fail(ErrorKind::kUnsupported, "training models one MTP depth (num_nextn_predict_layers = " +
                                      std::to_string(c_.num_nextn_predict_layers) + ")");
  }
  if (c_.num_nextn_predict_layers == 1) {
    const int64_t L = c_.num_hidden_layers, nm = batch * (seq_len - 1);
    const std::string p = "model.layers." + std::to_string(L) + ".";
    mtp_block_ = std::make_unique<BlockTrain>(store, rope_, L, nm, seq_len - 1, precision);
    enorm_ = &store.get(p + "enorm.weight");
    hnorm_ = &store.get(p + "hnorm.weight");
    eh_proj_ = &store.get(p + "eh_proj.weight");
    shared_head_norm_ = &store.get(p + "shared_head.norm.weight");
    mtp_embed_ = &store.get(p + "embed_tokens.weight");
    mtp_head_ = &store.get(p + "shared_head.head.weight");
    for (auto* v : {&m_emb_, &m_en_, &m_hh_, &m_x_, &m_out_, &m_y_, &m_dx_, &m_dout_, &m_dy_,
                    &m_demb_, &m_hin_, &m_den_, &m_dhh_, &m_dhin_}) {
      v->resize(size_t(nm * d));
    }
    for (auto* v : {&m_cat_, &m_dcat_}) v->resize(size_t(nm * 2 * d));
    for (auto* v : {&m_en_rstd_, &m_hh_rstd_, &m_y_rstd_}) v->resize(size_t(nm));
    m_logits_.resize(size_t(nm * V));
    m_dlogits_.resize(size_t(nm * V));
    m_targets_.resize(size_t(nm));
  }
}

TrainModel::~TrainModel() = default;

void TrainModel::embed(const Param& table, const int32_t* ids, int64_t stride, int64_t offset,
                       int64_t n_seq, int64_t len, float* out) const {
  const int64_t d = c_.hidden_size;
  parallel_for_if(n_seq * len * d, n_seq * len, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t id = ids[(r / len) * stride + offset + r % len];
      std::copy(&table.value[size_t(id * d)], &table.value[size_t((id + 1) * d)], out + r * d);
    }
  });
}

void TrainModel::embed_backward(Param& table, const int32_t* ids, int64_t stride, int64_t offset,
                                int64_t n_seq, int64_t len, const float* d_out) const {
  // Rows of the table repeat across tokens: split by column so each element's sum runs in token
  // order on one thread.
  const int64_t d = c_.hidden_size;
  parallel_for_if(n_seq * len * d, d, 64, [&](int64_t c0, int64_t c1) {
    for (int64_t b = 0; b < n_seq; ++b) {
      for (int64_t i = 0; i < len; ++i) {
        float* g = &table.grad[size_t(int64_t(ids[b * stride + offset + i]) * d)];
        const float* src = d_out + (b * len + i) * d;
        for (int64_t j = c0; j < c1; ++j) g[j] += src[j];
      }
    }
  });
}

StepLosses TrainModel::run(const std::vector<int32_t>& ids, int64_t n_seq,
                           const LossWeights& weights, bool backward) {
  const int64_t T = seq_len_, stride = T + 1, d = c_.hidden_size, V = c_.vocab_size;
  if (n_seq < 1 || n_seq > batch_ || int64_t(ids.size()) != n_seq * stride) {
    fail(ErrorKind::kInvalidArgument,
         "batch of " + std::to_string(ids.size()) + " ids for " + std::to_string(n_seq) +
             " sequences of " + std::to_string(stride) + " (storage sized for " +
             std::to_string(batch_) + ")");
  }
  for (int32_t id : ids) {
    if (id < 0 || id >= V) {
      fail(ErrorKind::kInvalidArgument, "token id " + std::to_string(id) +
                                            " outside the vocabulary [0, " + std::to_string(V) + ")");
    }
  }
  const int64_t n = n_seq * T;
  const float eps = float(c_.rms_norm_eps);
  StepLosses out;

  const BalanceLoss balance{weights.alpha, weights.balance_count};
  const BalanceLoss mtp_balance{weights.mtp_balance ? weights.alpha : 0.0, weights.balance_count};

  // ---- main model forward ----
  embed(*embed_tokens_, ids.data(), stride, 0, n_seq, T, h_[0].data());       // [n, d]
  for (size_t l = 0; l < blocks_.size(); ++l) {
    blocks_[l]->forward(h_[l].data(), n_seq, T, balance, h_[l + 1].data());
  }
  rms_norm_forward(h_.back().data(), n, d, *norm_, eps, hn_.data(), norm_rstd_.data());
  linear_forward(hn_.data(), n, *lm_head_, logits_.data(), head_precision_);  // [n, V]
  for (int64_t b = 0; b < n_seq; ++b) {
    for (int64_t i = 0; i < T; ++i) targets_[size_t(b * T + i)] = ids[size_t(b * stride + i + 1)];
  }
  if (weights.main_loss) {
    out.main_ce = weights.main_loss(logits_.data(), n, V, dlogits_.data());
  } else {
    out.main_ce = cross_entropy_forward_backward(logits_.data(), targets_.data(), n, V,
                                                 1.0f / float(n), dlogits_.data()) / double(n);
  }
  out.total = out.main_ce;

  // ---- MTP forward (depth 1, V3 §2.2 eqs. 21-25) ----
  const int64_t Tm = T - 1, nm = n_seq * Tm;
  if (mtp_block_) {
    embed(*mtp_embed_, ids.data(), stride, 1, n_seq, Tm, m_emb_.data());      // Emb(ids[i+1])
    for (int64_t b = 0; b < n_seq; ++b) {
      std::copy(&hn_[size_t(b * T * d)], &hn_[size_t((b * T + Tm) * d)], &m_hin_[size_t(b * Tm * d)]);
      for (int64_t i = 0; i < Tm; ++i) m_targets_[size_t(b * Tm + i)] = ids[size_t(b * stride + i + 2)];
    }
    rms_norm_forward(m_emb_.data(), nm, d, *enorm_, eps, m_en_.data(), m_en_rstd_.data());
    rms_norm_forward(m_hin_.data(), nm, d, *hnorm_, eps, m_hh_.data(), m_hh_rstd_.data());
    for (int64_t r = 0; r < nm; ++r) {  // [enorm(e) ; hnorm(h)], embedding first
      std::copy(&m_en_[size_t(r * d)], &m_en_[size_t((r + 1) * d)], &m_cat_[size_t(r * 2 * d)]);
      std::copy(&m_hh_[size_t(r * d)], &m_hh_[size_t((r + 1) * d)], &m_cat_[size_t(r * 2 * d + d)]);
    }
    linear_forward(m_cat_.data(), nm, *eh_proj_, m_x_.data(), head_precision_);                 // [nm, d]
    mtp_block_->forward(m_x_.data(), n_seq, Tm, mtp_balance, m_out_.data());
    rms_norm_forward(m_out_.data(), nm, d, *shared_head_norm_, eps, m_y_.data(), m_y_rstd_.data());
    linear_forward(m_y_.data(), nm, *mtp_head_, m_logits_.data(), head_precision_);
    const double mtp = cross_entropy_forward_backward(
                           m_logits_.data(), m_targets_.data(), nm, V,
                           float(weights.lambda_mtp / double(nm)), m_dlogits_.data()) / double(nm);
    out.mtp_ce = mtp;
    out.total += weights.lambda_mtp * mtp;
  }
  auto add_balance = [&](const BlockTrain& block) {
    if (block.moe() == nullptr) return;
    const double v = block.moe()->balance_loss();
    out.balance_per_layer.emplace_back("model.layers." + std::to_string(block.layer()) + ".mlp", v);
    out.balance += v;
  };
  for (const auto& block : blocks_) add_balance(*block);
  if (mtp_block_ && weights.mtp_balance) add_balance(*mtp_block_);
  out.total += out.balance;
  if (!backward) return out;

  // ---- MTP backward ----
  std::fill(dhn_.begin(), dhn_.begin() + n * d, 0.0f);
  if (mtp_block_) {
    linear_backward(m_y_.data(), m_dlogits_.data(), nm, *mtp_head_, m_dy_.data(), false,
                    head_precision_);
    std::fill(m_dout_.begin(), m_dout_.begin() + nm * d, 0.0f);
    rms_norm_backward_accum(m_out_.data(), m_y_rstd_.data(), m_dy_.data(), nm, d,
                            *shared_head_norm_, m_dout_.data());
    mtp_block_->backward(m_dout_.data(), m_dx_.data());
    linear_backward(m_cat_.data(), m_dx_.data(), nm, *eh_proj_, m_dcat_.data(), false,
                    head_precision_);
    for (int64_t r = 0; r < nm; ++r) {
      std::copy(&m_dcat_[size_t(r * 2 * d)], &m_dcat_[size_t(r * 2 * d + d)], &m_den_[size_t(r * d)]);
      std::copy(&m_dcat_[size_t(r * 2 * d + d)], &m_dcat_[size_t((r + 1) * 2 * d)], &m_dhh_[size_t(r * d)]);
    }
    std::fill(m_demb_.begin(), m_demb_.begin() + nm * d, 0.0f);
    rms_norm_backward_accum(m_emb_.data(), m_en_rstd_.data(), m_den_.data(), nm, d, *enorm_,
                            m_demb_.data());
    embed_backward(*mtp_embed_, ids.data(), stride, 1, n_seq, Tm, m_demb_.data());
    std::fill(m_dhin_.begin(), m_dhin_.begin() + nm * d, 0.0f);
    rms_norm_backward_accum(m_hin_.data(), m_hh_rstd_.data(), m_dhh_.data(), nm, d, *hnorm_,
                            m_dhin_.data());
    for (int64_t b = 0; b < n_seq; ++b) {  // h_i feeds MTP row i: nothing is detached
      add_inplace(&dhn_[size_t(b * T * d)], &m_dhin_[size_t(b * Tm * d)], Tm * d);
    }
  }
  // ---- main backward ----
  linear_backward(hn_.data(), dlogits_.data(), n, *lm_head_, dhn_.data(), true,
                  head_precision_);
  std::fill(dh_a_.begin(), dh_a_.begin() + n * d, 0.0f);
  rms_norm_backward_accum(h_.back().data(), norm_rstd_.data(), dhn_.data(), n, d, *norm_,
                          dh_a_.data());
  for (size_t l = blocks_.size(); l-- > 0;) {
    blocks_[l]->backward(dh_a_.data(), dh_b_.data());
    std::swap(dh_a_, dh_b_);
  }
  embed_backward(*embed_tokens_, ids.data(), stride, 0, n_seq, T, dh_a_.data());
  return out;
}

std::vector<LayerLoad> TrainModel::loads() const {
  std::vector<LayerLoad> out;
  auto add = [&](const BlockTrain& block, bool mtp) {
    if (block.moe() == nullptr) return;
    LayerLoad l;
    l.layer = block.layer();
    l.mtp_layer = mtp;
    l.tokens = block.moe()->tokens();
    l.counts = block.moe()->loads();
    const std::string name =
        "model.layers." + std::to_string(block.layer()) + ".mlp.gate.e_score_correction_bias";
    if (store_.contains(name)) l.bias = &store_.get(name);
    out.push_back(std::move(l));
  };
  for (const auto& block : blocks_) add(*block, false);
  if (mtp_block_) add(*mtp_block_, true);
  return out;
}

}  // namespace fathom
