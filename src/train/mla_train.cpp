#include "train/mla_train.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "kernels/kernels.h"
#include "train/ops.h"

namespace fathom {

using namespace train_ops;

AttentionParams AttentionParams::bind(ParamStore& s, const std::string& p) {
  AttentionParams a;
  if (s.config().q_lora_rank) {
    a.q_a_proj = &s.get(p + "q_a_proj.weight");
    a.q_a_layernorm = &s.get(p + "q_a_layernorm.weight");
    a.q_b_proj = &s.get(p + "q_b_proj.weight");
  } else {
    a.q_proj = &s.get(p + "q_proj.weight");
  }
  a.kv_a_proj_with_mqa = &s.get(p + "kv_a_proj_with_mqa.weight");
  a.kv_a_layernorm = &s.get(p + "kv_a_layernorm.weight");
  a.kv_b_proj = &s.get(p + "kv_b_proj.weight");
  a.o_proj = &s.get(p + "o_proj.weight");
  return a;
}

namespace {

// Per-thread [T, ·] buffers of one (sequence, head) attention task, grown once and reused.
struct HeadScratch {
  std::vector<float> q, k, v, o, d_o, dq, dk, dv, dp, ds, t;
};

float* grown(std::vector<float>& v, int64_t size) {
  if (int64_t(v.size()) < size) v.resize(size_t(size));
  return v.data();
}

}  // namespace

MlaTrain::MlaTrain(const ModelConfig& config, const RopeTables& rope, AttentionParams params,
                   int64_t max_tokens, int64_t max_seq_len, GemmPrecision precision)
    : c_(config),
      rope_(rope),
      rope_cache_(rope, max_seq_len),
      p_(params),
      precision_(precision),
      max_tokens_(max_tokens),
      max_seq_len_(max_seq_len) {
  heads_ = c_.num_attention_heads;
  nope_ = c_.qk_nope_head_dim;
  rope_dim_ = c_.qk_rope_head_dim;
  v_dim_ = c_.v_head_dim;
  qk_ = nope_ + rope_dim_;
  kv_rank_ = c_.kv_lora_rank;
  q_rank_ = c_.q_lora_rank.value_or(0);
  const auto n = size_t(max_tokens);
  q_a_.resize(n * size_t(q_rank_));
  q_a_n_.resize(n * size_t(q_rank_));
  q_a_rstd_.resize(n);
  q_.resize(n * size_t(heads_ * qk_));
  kv_a_.resize(n * size_t(kv_rank_ + rope_dim_));
  c_rstd_.resize(n);
  c_n_.resize(n * size_t(kv_rank_));
  kv_.resize(n * size_t(heads_ * (nope_ + v_dim_)));
  const int64_t max_seqs = (max_tokens + max_seq_len - 1) / max_seq_len;
  probs_.resize(size_t(max_seqs * heads_ * max_seq_len * max_seq_len));
  o_.resize(n * size_t(heads_ * v_dim_));
  d_o_.resize(o_.size());
  dq_.resize(q_.size());
  dkv_.resize(kv_.size());
  dkv_a_.resize(kv_a_.size());
  dc_n_.resize(c_n_.size());
  dq_a_n_.resize(q_a_.size());
  dq_a_.resize(q_a_.size());
  dk_pe_.resize(n * size_t(heads_ * rope_dim_));
}

void MlaTrain::forward(const float* x, int64_t n_seq, int64_t seq_len, float* y) {
  x_ = x;
  n_seq_ = n_seq;
  seq_len_ = seq_len;
  n_ = n_seq * seq_len;
  if (n_ > max_tokens_ || seq_len > max_seq_len_) {
    fail(ErrorKind::kInternal, "MlaTrain: batch larger than the storage sized at construction");
  }
  const float eps = float(c_.rms_norm_eps);
  if (p_.q_proj == nullptr) {
    linear_forward(x, n_, *p_.q_a_proj, q_a_.data(), precision_);               // [n, q_lora]
    rms_norm_forward(q_a_.data(), n_, q_rank_, *p_.q_a_layernorm, eps, q_a_n_.data(),
                     q_a_rstd_.data());
    linear_forward(q_a_n_.data(), n_, *p_.q_b_proj, q_.data(), precision_);     // [n, H, qk]
  } else {
    linear_forward(x, n_, *p_.q_proj, q_.data(), precision_);
  }
  const int64_t kv_a_dim = kv_rank_ + rope_dim_;
  linear_forward(x, n_, *p_.kv_a_proj_with_mqa, kv_a_.data(), precision_);      // [n, kvr + r]
  // c = kv_a[:, :kvr] normalised into c_n; kv_a keeps the raw c for the norm's backward.
  rms_norm_forward(kv_a_.data(), n_, kv_rank_, *p_.kv_a_layernorm, eps, c_n_.data(),
                   c_rstd_.data(), kv_a_dim);
  linear_forward(c_n_.data(), n_, *p_.kv_b_proj, kv_.data(), precision_);       // [n, H, nope+v]
  parallel_for_if(n_ * (heads_ + 1) * rope_dim_, n_, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t pos = t % seq_len_;
      for (int64_t h = 0; h < heads_; ++h) {
        rope_cache_.rotate(&q_[size_t((t * heads_ + h) * qk_ + nope_)], pos);
      }
      rope_cache_.rotate(&kv_a_[size_t(t * kv_a_dim + kv_rank_)], pos);
    }
  });
  parallel_for(n_seq_ * heads_, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) attention_forward(i / heads_, i % heads_);
  });
  linear_forward(o_.data(), n_, *p_.o_proj, y, precision_);                     // [n, hidden]
}

void MlaTrain::gather_head(int64_t b, int64_t h, float* q, float* k, float* v) const {
  const int64_t T = seq_len_, kv_dim = nope_ + v_dim_, kv_a_dim = kv_rank_ + rope_dim_;
  for (int64_t t = 0; t < T; ++t) {
    const int64_t tt = b * T + t;
    const float* qt = &q_[size_t((tt * heads_ + h) * qk_)];
    const float* kvt = &kv_[size_t((tt * heads_ + h) * kv_dim)];
    const float* k_pe = &kv_a_[size_t(tt * kv_a_dim + kv_rank_)];
    std::copy(qt, qt + qk_, q + t * qk_);
    std::copy(kvt, kvt + nope_, k + t * qk_);
    std::copy(k_pe, k_pe + rope_dim_, k + t * qk_ + nope_);
    std::copy(kvt + nope_, kvt + kv_dim, v + t * v_dim_);
  }
}

void MlaTrain::attention_forward(int64_t b, int64_t h) {
  // S = softmax_scale · Q Kᵀ, causal softmax per row, O = P V   (all [T, ·] for this head).
  const int64_t T = seq_len_;
  const float scale = rope_.softmax_scale;
  thread_local HeadScratch w;
  float* q = grown(w.q, T * qk_);
  float* k = grown(w.k, T * qk_);
  float* v = grown(w.v, T * v_dim_);
  float* o = grown(w.o, T * v_dim_);
  gather_head(b, h, q, k, v);
  float* probs = &probs_[size_t(((b * heads_) + h) * T * T)];
  kernels().linear(q, T, f32_matrix(k, T, qk_), probs);                        // [T, T]
  for (int64_t s = 0; s < T; ++s) {
    float* p = probs + s * T;
    for (int64_t t = 0; t <= s; ++t) p[t] *= scale;
    kernels().softmax(p, s + 1);
    std::fill(p + s + 1, p + T, 0.0f);  // causal mask
  }
  kernels().linear_transposed(probs, T, f32_matrix(v, T, v_dim_), o);  // [T, v_head]
  for (int64_t s = 0; s < T; ++s) {
    std::copy(o + s * v_dim_, o + (s + 1) * v_dim_,
              &o_[size_t(((b * T + s) * heads_ + h) * v_dim_)]);
  }
}

void MlaTrain::attention_backward(int64_t b, int64_t h) {
  // Softmax attention backward: dV = Pᵀ dO; dP = dO Vᵀ; dS = P ∘ (dP − rowsum(P ∘ dP));
  // dQ = scale · dS K; dK = scale · dSᵀ Q (Vaswani et al. 2017; FlashAttention-2 §2 notation).
  const int64_t T = seq_len_, kv_dim = nope_ + v_dim_;
  const float scale = rope_.softmax_scale;
  thread_local HeadScratch w;
  float* q = grown(w.q, T * qk_);
  float* k = grown(w.k, T * qk_);
  float* v = grown(w.v, T * v_dim_);
  float* d_o = grown(w.d_o, T * v_dim_);
  float* dq = grown(w.dq, T * qk_);
  float* dk = grown(w.dk, T * qk_);
  float* dv = grown(w.dv, T * v_dim_);
  float* dp = grown(w.dp, T * T);
  float* ds = grown(w.ds, T * T);
  float* tr = grown(w.t, T * T);
  gather_head(b, h, q, k, v);
  for (int64_t s = 0; s < T; ++s) {
    const float* src = &d_o_[size_t(((b * T + s) * heads_ + h) * v_dim_)];
    std::copy(src, src + v_dim_, d_o + s * v_dim_);
  }
  const float* probs = &probs_[size_t(((b * heads_) + h) * T * T)];
  transpose(probs, T, T, tr);
  kernels().linear_transposed(tr, T, f32_matrix(d_o, T, v_dim_), dv);          // dV [T, v]
  kernels().linear(d_o, T, f32_matrix(v, T, v_dim_), dp);                      // dP [T, T]
  for (int64_t s = 0; s < T; ++s) {
    const float* p = probs + s * T;
    const float* dps = dp + s * T;
    float* dss = ds + s * T;
    float row = 0.0f;
    for (int64_t t = 0; t <= s; ++t) row += p[t] * dps[t];
    for (int64_t t = 0; t <= s; ++t) dss[t] = p[t] * (dps[t] - row) * scale;
    std::fill(dss + s + 1, dss + T, 0.0f);
  }
  kernels().linear_transposed(ds, T, f32_matrix(k, T, qk_), dq);               // dQ [T, qk]
  transpose(ds, T, T, tr);
  kernels().linear_transposed(tr, T, f32_matrix(q, T, qk_), dk);               // dK [T, qk]
  // Every (token, head) slot of dq_, dkv_ and dk_pe_ belongs to exactly one task: plain writes.
  for (int64_t t = 0; t < T; ++t) {
    const int64_t tt = b * T + t;
    std::copy(dq + t * qk_, dq + (t + 1) * qk_, &dq_[size_t((tt * heads_ + h) * qk_)]);
    float* dkv = &dkv_[size_t((tt * heads_ + h) * kv_dim)];
    std::copy(dk + t * qk_, dk + t * qk_ + nope_, dkv);
    std::copy(dv + t * v_dim_, dv + (t + 1) * v_dim_, dkv + nope_);
    std::copy(dk + t * qk_ + nope_, dk + (t + 1) * qk_,
              &dk_pe_[size_t((tt * heads_ + h) * rope_dim_)]);
  }
}

void MlaTrain::backward(const float* dy, float* dx) {
  const int64_t kv_a_dim = kv_rank_ + rope_dim_;
  linear_backward(o_.data(), dy, n_, *p_.o_proj, d_o_.data(), false, precision_);  // dO [n, H*v]
  parallel_for(n_seq_ * heads_, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) attention_backward(i / heads_, i % heads_);
  });
  // k_pe is shared by the heads: its gradient is the sum of theirs, in head order. Then the
  // inverse rotations; dkv_a[:, :kvr] starts at zero for the kv_a_layernorm backward below.
  parallel_for_if(n_ * (heads_ + 1) * rope_dim_, n_, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t pos = t % seq_len_;
      float* dkv_a = &dkv_a_[size_t(t * kv_a_dim)];
      std::fill(dkv_a, dkv_a + kv_rank_, 0.0f);
      float* dk_pe = dkv_a + kv_rank_;
      const float* per_head = &dk_pe_[size_t(t * heads_ * rope_dim_)];
      std::copy(per_head, per_head + rope_dim_, dk_pe);
      for (int64_t h = 1; h < heads_; ++h) {
        for (int64_t i = 0; i < rope_dim_; ++i) dk_pe[i] += per_head[h * rope_dim_ + i];
      }
      rope_cache_.rotate_back(dk_pe, pos);
      for (int64_t h = 0; h < heads_; ++h) {
        rope_cache_.rotate_back(&dq_[size_t((t * heads_ + h) * qk_ + nope_)], pos);
      }
    }
  });
  // [k_nope ; v] = kv_b_proj(c_n)  →  dc_n, then through kv_a_layernorm into dkv_a[:, :kvr].
  linear_backward(c_n_.data(), dkv_.data(), n_, *p_.kv_b_proj, dc_n_.data(), false, precision_);
  rms_norm_backward_accum(kv_a_.data(), c_rstd_.data(), dc_n_.data(), n_, kv_rank_,
                          *p_.kv_a_layernorm, dkv_a_.data(), kv_a_dim);
  linear_backward(x_, dkv_a_.data(), n_, *p_.kv_a_proj_with_mqa, dx, true, precision_);
  if (p_.q_proj == nullptr) {
    linear_backward(q_a_n_.data(), dq_.data(), n_, *p_.q_b_proj, dq_a_n_.data(), false, precision_);
    std::fill(dq_a_.begin(), dq_a_.begin() + n_ * q_rank_, 0.0f);
    rms_norm_backward_accum(q_a_.data(), q_a_rstd_.data(), dq_a_n_.data(), n_, q_rank_,
                            *p_.q_a_layernorm, dq_a_.data());
    linear_backward(x_, dq_a_.data(), n_, *p_.q_a_proj, dx, true, precision_);
  } else {
    linear_backward(x_, dq_.data(), n_, *p_.q_proj, dx, true, precision_);
  }
}

}  // namespace fathom
