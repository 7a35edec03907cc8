#include "train/moe_train.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/thread_pool.h"
#include "model/moe_router.h"
#include "train/ops.h"

namespace fathom {

using namespace train_ops;

const char* balance_count_name(BalanceCount count) {
  return count == BalanceCount::kRouted ? "routed" : "topk";
}

BalanceCount parse_balance_count(const std::string& name) {
  if (name == "topk") return BalanceCount::kTopk;
  if (name == "routed") return BalanceCount::kRouted;
  fail(ErrorKind::kInvalidArgument,
       "balance count '" + name + "': expected 'topk' (top-K of the unbiased scores, V3 eq. 18) "
       "or 'routed' (the dispatched experts)");
}

MoeParams MoeParams::bind(ParamStore& s, const std::string& p) {
  const ModelConfig& c = s.config();
  MoeParams m;
  m.gate = &s.get(p + "gate.weight");
  if (c.topk_method == TopkMethod::kNoauxTc) {
    m.e_score_correction_bias = &s.get(p + "gate.e_score_correction_bias");
  }
  for (int64_t e = 0; e < *c.n_routed_experts; ++e) {
    m.experts.push_back(MlpParams::bind(s, p + "experts." + std::to_string(e) + "."));
  }
  if (c.n_shared_experts > 0) m.shared_experts = MlpParams::bind(s, p + "shared_experts.");
  return m;
}

MoeTrain::MoeTrain(const ModelConfig& config, MoeParams params, int64_t max_tokens,
                   GemmPrecision precision)
    : c_(config), p_(std::move(params)), precision_(precision) {
  experts_ = *c_.n_routed_experts;
  top_k_ = c_.num_experts_per_tok;
  hidden_ = c_.hidden_size;
  width_ = c_.moe_intermediate_size;
  const auto n = size_t(max_tokens), nk = size_t(max_tokens * top_k_);
  s_.resize(n * size_t(experts_));
  chosen_.resize(nk);
  combine_.resize(nk);
  balance_f_.resize(n * size_t(experts_));
  loads_.resize(size_t(experts_));
  token_of_.resize(nk);
  slot_of_.resize(nk);
  assignment_of_.resize(nk);
  order_.resize(size_t(experts_));
  balance_p_.resize(size_t(experts_));
  offset_.resize(size_t(experts_ + 1));
  fill_.resize(size_t(experts_));
  xe_.resize(nk * size_t(hidden_));
  ye_.resize(nk * size_t(hidden_));
  ge_.resize(nk * size_t(width_));
  ue_.resize(nk * size_t(width_));
  he_.resize(nk * size_t(width_));
  dye_.resize(nk * size_t(hidden_));
  dxe_.resize(nk * size_t(hidden_));
  dcombine_.resize(nk);
  ds_.resize(s_.size());
  dlogits_.resize(s_.size());
  int64_t widest = width_;
  if (p_.shared_experts) {
    const int64_t w = p_.shared_experts->width();
    widest = std::max(widest, w);
    shared_g_.resize(n * size_t(w));
    shared_u_.resize(n * size_t(w));
    shared_h_.resize(n * size_t(w));
    shared_y_.resize(n * size_t(hidden_));
  }
  scratch_.reserve(std::max(int64_t(nk), int64_t(n)), widest);
}

void MoeTrain::assign_expert_bins() {
  const int64_t E = experts_, bins = std::max<int64_t>(1, std::min<int64_t>(num_threads(), E));
  bin_experts_.resize(size_t(E));
  std::iota(bin_experts_.begin(), bin_experts_.end(), 0);
  std::stable_sort(bin_experts_.begin(), bin_experts_.end(),
                   [&](int32_t a, int32_t b) { return loads_[size_t(a)] > loads_[size_t(b)]; });
  // The bin of each expert, then the experts grouped by bin (a counting sort).
  bin_load_.assign(size_t(bins), 0);
  bin_of_.resize(size_t(E));
  for (int32_t e : bin_experts_) {
    const auto b = size_t(std::min_element(bin_load_.begin(), bin_load_.end()) - bin_load_.begin());
    bin_load_[b] += loads_[size_t(e)];
    bin_of_[size_t(e)] = int32_t(b);
  }
  bin_offset_.assign(size_t(bins + 1), 0);
  for (int64_t e = 0; e < E; ++e) ++bin_offset_[size_t(bin_of_[size_t(e)] + 1)];
  for (int64_t b = 0; b < bins; ++b) bin_offset_[size_t(b + 1)] += bin_offset_[size_t(b)];
  bin_fill_.assign(bin_offset_.begin(), bin_offset_.end() - 1);
  for (int32_t e = 0; e < E; ++e) bin_experts_[size_t(bin_fill_[size_t(bin_of_[size_t(e)])]++)] = e;
}

template <typename F>
void MoeTrain::for_each_expert(F&& f) {
  const int64_t bins = int64_t(bin_offset_.size()) - 1;
  parallel_for(bins, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t i = bin_offset_[size_t(b0)]; i < bin_offset_[size_t(b1)]; ++i) {
      const int64_t e = bin_experts_[size_t(i)];
      const int64_t a0 = offset_[size_t(e)], rows = offset_[size_t(e + 1)] - a0;
      if (rows > 0) f(e, a0, rows);
    }
  });
}

void MoeTrain::forward(const float* x, int64_t n_seq, int64_t seq_len, const BalanceLoss& balance,
                       float* y) {
  x_ = x;
  n_seq_ = n_seq;
  seq_len_ = seq_len;
  n_ = n_seq * seq_len;
  alpha_ = balance.alpha;
  const double alpha = balance.alpha;
  const int64_t E = experts_, K = top_k_;

  // Affinities s = sigmoid(x W_gᵀ) (V3 eq. 15) or softmax (V2), fp32.
  linear_forward(x, n_, *p_.gate, s_.data());
  for (int64_t t = 0; t < n_; ++t) {
    float* s = &s_[size_t(t * E)];
    if (c_.scoring_func == ScoringFunc::kSoftmax) {
      const float m = *std::max_element(s, s + E);
      float sum = 0.0f;
      for (int64_t e = 0; e < E; ++e) sum += (s[e] = std::exp(s[e] - m));
      for (int64_t e = 0; e < E; ++e) s[e] /= sum;
    } else {
      for (int64_t e = 0; e < E; ++e) s[e] = 1.0f / (1.0f + std::exp(-s[e]));
    }
  }
  // Selection: the inference router's own code (bias, group limit, top-k), so training and
  // inference route identically.
  MoeWeights routing_view;
  routing_view.gate = p_.gate->matrix();
  if (p_.e_score_correction_bias) routing_view.e_score_correction_bias = p_.e_score_correction_bias->value;
  const Routing r = route_tokens(c_, routing_view, x, n_);
  std::copy(r.experts.begin(), r.experts.end(), chosen_.begin());
  // Combine weights from the unbiased s of the chosen experts (eqs. 13, 16).
  const bool normalise = c_.norm_topk_prob && K > 1;
  const float rsf = float(c_.routed_scaling_factor);
  for (int64_t t = 0; t < n_; ++t) {
    float sum = 0.0f;
    for (int64_t k = 0; k < K; ++k) sum += s_[size_t(t * E + chosen_[size_t(t * K + k)])];
    for (int64_t k = 0; k < K; ++k) {
      const float sk = s_[size_t(t * E + chosen_[size_t(t * K + k)])];
      combine_[size_t(t * K + k)] = (normalise ? sk / sum : sk) * rsf;
    }
  }
  // Dispatch grouped by expert (a counting sort), then each expert over its rows.
  std::fill(loads_.begin(), loads_.end(), 0);
  for (int64_t a = 0; a < n_ * K; ++a) ++loads_[size_t(chosen_[size_t(a)])];
  offset_[0] = 0;
  for (int64_t e = 0; e < E; ++e) offset_[size_t(e + 1)] = offset_[size_t(e)] + loads_[size_t(e)];
  std::copy(offset_.begin(), offset_.end() - 1, fill_.begin());
  for (int64_t t = 0; t < n_; ++t) {
    for (int64_t k = 0; k < K; ++k) {
      const int64_t a = fill_[size_t(chosen_[size_t(t * K + k)])]++;
      token_of_[size_t(a)] = int32_t(t);
      slot_of_[size_t(a)] = int32_t(k);
      assignment_of_[size_t(t * K + k)] = a;
    }
  }
  const int64_t d = hidden_;
  parallel_for_if(n_ * K * d, n_ * K, 16, [&](int64_t a0, int64_t a1) {  // gather
    for (int64_t a = a0; a < a1; ++a) {
      const float* xt = x + int64_t(token_of_[size_t(a)]) * d;
      std::copy(xt, xt + d, &xe_[size_t(a * d)]);
    }
  });
  assign_expert_bins();
  for_each_expert([&](int64_t e, int64_t a0, int64_t rows) {
    mlp_forward(p_.experts[size_t(e)], &xe_[size_t(a0 * d)], rows,
                {&ge_[size_t(a0 * width_)], &ue_[size_t(a0 * width_)], &he_[size_t(a0 * width_)]},
                &ye_[size_t(a0 * d)], precision_);
  });
  if (p_.shared_experts) {
    mlp_forward(*p_.shared_experts, x, n_, {shared_g_.data(), shared_u_.data(), shared_h_.data()},
                shared_y_.data(), precision_);
  }
  // Combine (eq. 12), one token per iteration: y_t = Σ_k g_k E_k(x_t) (+ shared(x_t)).
  parallel_for_if(n_ * (K + 1) * d, n_, 8, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      float* yt = y + t * d;
      std::fill(yt, yt + d, 0.0f);
      for (int64_t k = 0; k < K; ++k) {
        const float w = combine_[size_t(t * K + k)];
        const float* ye = &ye_[size_t(assignment_of_[size_t(t * K + k)] * d)];
        for (int64_t i = 0; i < d; ++i) yt[i] += w * ye[i];
      }
      if (p_.shared_experts) {
        const float* ys = &shared_y_[size_t(t * d)];
        for (int64_t i = 0; i < d; ++i) yt[i] += ys[i];
      }
    }
  });

  // Complementary sequence-wise balance loss (V3 eqs. 17-20), per sequence of T tokens:
  //   f_i = N_r/(K_r T) · #{t : s_{i,t} ∈ TopK_r(s_{·,t})}   (unbiased s, all experts, no groups:
  //   the formula as written, and Megatron-LM's compute_routing_scores_for_aux_loss; or, with
  //   BalanceCount::kRouted, #{t : token t dispatched to expert i})
  //   P_i = (1/T) Σ_t s_{i,t} / Σ_j s_{j,t};   L_Bal = α Σ_i f_i P_i;  reported: mean over seqs.
  balance_ = 0.0;
  std::vector<int32_t>& order = order_;
  std::vector<double>& P = balance_p_;
  for (int64_t b = 0; b < n_seq_; ++b) {
    float* f = &balance_f_[size_t(b * E)];
    std::fill(f, f + E, 0.0f);
    std::fill(P.begin(), P.end(), 0.0);
    for (int64_t t = b * seq_len_; t < (b + 1) * seq_len_; ++t) {
      const float* s = &s_[size_t(t * E)];
      if (balance.count == BalanceCount::kRouted) {
        for (int64_t k = 0; k < K; ++k) f[chosen_[size_t(t * K + k)]] += 1.0f;
      } else {
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + K, order.end(), [&](int32_t i, int32_t j) {
          return s[i] > s[j] || (s[i] == s[j] && i < j);
        });
        for (int64_t k = 0; k < K; ++k) f[order[size_t(k)]] += 1.0f;
      }
      double sum = 0.0;
      for (int64_t e = 0; e < E; ++e) sum += s[e];
      for (int64_t e = 0; e < E; ++e) P[size_t(e)] += s[e] / sum;
    }
    double loss = 0.0;
    for (int64_t e = 0; e < E; ++e) {
      f[e] *= float(double(E) / double(K * seq_len_));
      loss += double(f[e]) * P[size_t(e)] / double(seq_len_);
    }
    balance_ += alpha * loss / double(n_seq_);
  }
}

void MoeTrain::backward(const float* dy, float* dx) {
  const int64_t E = experts_, K = top_k_;
  if (p_.shared_experts) {
    mlp_backward(*p_.shared_experts, x_, n_, {shared_g_.data(), shared_u_.data(), shared_h_.data()},
                 dy, scratch_.rows(0, p_.shared_experts->width()), dx, true, precision_);
  }
  // Routed experts: y_t = Σ_k g_k · E_k(x_t)  →  dE_k = g_k · dy_t,  dg_k = dy_t · E_k(x_t).
  const int64_t d = hidden_;
  parallel_for_if(n_ * K * d * 2, n_ * K, 16, [&](int64_t a0, int64_t a1) {
    for (int64_t a = a0; a < a1; ++a) {
      const int64_t t = token_of_[size_t(a)], k = slot_of_[size_t(a)];
      const float w = combine_[size_t(t * K + k)];
      const float* yt = dy + t * d;
      const float* ye = &ye_[size_t(a * d)];
      float* dye = &dye_[size_t(a * d)];
      float dot = 0.0f;
      for (int64_t i = 0; i < d; ++i) {
        dye[i] = w * yt[i];
        dot += yt[i] * ye[i];
      }
      dcombine_[size_t(t * K + k)] = dot;
    }
  });
  // Each expert's parameter gradients are its own: experts run in parallel without races.
  for_each_expert([&](int64_t e, int64_t a0, int64_t rows) {
    mlp_backward(p_.experts[size_t(e)], &xe_[size_t(a0 * d)], rows,
                 {&ge_[size_t(a0 * width_)], &ue_[size_t(a0 * width_)], &he_[size_t(a0 * width_)]},
                 &dye_[size_t(a0 * d)], scratch_.rows(a0, width_), &dxe_[size_t(a0 * d)], false,
                 precision_);
  });
  parallel_for_if(n_ * K * d, n_, 8, [&](int64_t t0, int64_t t1) {  // scatter back, per token
    for (int64_t t = t0; t < t1; ++t) {
      float* dxt = dx + t * d;
      for (int64_t k = 0; k < K; ++k) {
        const float* dxe = &dxe_[size_t(assignment_of_[size_t(t * K + k)] * d)];
        for (int64_t i = 0; i < d; ++i) dxt[i] += dxe[i];
      }
    }
  });
  // Combine weights → affinities of the selected experts.
  std::fill(ds_.begin(), ds_.begin() + n_ * E, 0.0f);
  const bool normalise = c_.norm_topk_prob && K > 1;
  const float rsf = float(c_.routed_scaling_factor);
  for (int64_t t = 0; t < n_; ++t) {
    const int32_t* ids = &chosen_[size_t(t * K)];
    const float* dg = &dcombine_[size_t(t * K)];
    float* ds = &ds_[size_t(t * E)];
    const float* s = &s_[size_t(t * E)];
    if (normalise) {
      // g_k = rsf · s_k / S, S = Σ_selected s:  ∂/∂s_j = rsf · (dg_j / S − Σ_k dg_k s_k / S²)
      float sum = 0.0f, weighted = 0.0f;
      for (int64_t k = 0; k < K; ++k) sum += s[ids[k]];
      for (int64_t k = 0; k < K; ++k) weighted += dg[k] * s[ids[k]];
      for (int64_t k = 0; k < K; ++k) ds[ids[k]] += rsf * (dg[k] / sum - weighted / (sum * sum));
    } else {
      for (int64_t k = 0; k < K; ++k) ds[ids[k]] += rsf * dg[k];
    }
  }
  // Balance loss → all affinities: with c_i = α f_i / (T · n_seq) and s'_i = s_i / S_t,
  //   ∂L/∂s_{j,t} = (c_j − Σ_i c_i s'_{i,t}) / S_t.
  if (alpha_ != 0.0) {
    for (int64_t b = 0; b < n_seq_; ++b) {
      const float* f = &balance_f_[size_t(b * E)];
      const double cscale = alpha_ / double(seq_len_ * n_seq_);
      for (int64_t t = b * seq_len_; t < (b + 1) * seq_len_; ++t) {
        const float* s = &s_[size_t(t * E)];
        float* ds = &ds_[size_t(t * E)];
        double sum = 0.0, mix = 0.0;
        for (int64_t e = 0; e < E; ++e) sum += s[e];
        for (int64_t e = 0; e < E; ++e) mix += cscale * f[e] * s[e] / sum;
        for (int64_t e = 0; e < E; ++e) ds[e] += float((cscale * f[e] - mix) / sum);
      }
    }
  }
  // Affinities → router logits: sigmoid' = s(1 − s); softmax: s_i (ds_i − Σ_j s_j ds_j).
  for (int64_t t = 0; t < n_; ++t) {
    const float* s = &s_[size_t(t * E)];
    const float* ds = &ds_[size_t(t * E)];
    float* dl = &dlogits_[size_t(t * E)];
    if (c_.scoring_func == ScoringFunc::kSoftmax) {
      float mix = 0.0f;
      for (int64_t e = 0; e < E; ++e) mix += s[e] * ds[e];
      for (int64_t e = 0; e < E; ++e) dl[e] = s[e] * (ds[e] - mix);
    } else {
      for (int64_t e = 0; e < E; ++e) dl[e] = ds[e] * s[e] * (1.0f - s[e]);
    }
  }
  linear_backward(x_, dlogits_.data(), n_, *p_.gate, dx, true);
}

}  // namespace fathom
