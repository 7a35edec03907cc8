// GRPO / Dr. GRPO / DAPO losses and d(loss)/d(logits); conventions in grpo_loss.h.
#include "rl/grpo_loss.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/thread_pool.h"

namespace fathom::rl {
namespace {

void check_size(const char* where, const char* name, size_t actual, int64_t expected) {
  if (int64_t(actual) != expected) {
    fail(ErrorKind::kInvalidArgument, std::string(where) + ": " + name + " has " +
                                          std::to_string(actual) + " elements, expected " +
                                          std::to_string(expected));
  }
}

// log Σ_v exp(x_v) in float64; prob (if non-null) receives exp(x_v − max), *sum their sum.
double log_sum_exp(const float* x, int64_t V, double* prob, double* sum) {
  double mx = x[0];
  for (int64_t v = 1; v < V; ++v) mx = std::max(mx, double(x[v]));
  double s = 0.0;
  for (int64_t v = 0; v < V; ++v) {
    const double e = std::exp(double(x[v]) - mx);
    if (prob) prob[v] = e;
    s += e;
  }
  if (sum) *sum = s;
  return mx + std::log(s);
}

// Per-sequence partial results, reduced serially afterwards so the loss does not depend on the
// thread count.
struct SeqStats {
  double term_sum = 0.0;  // Σ_t w·term
  double kl_sum = 0.0;
  double ratio_sum = 0.0;
  int64_t clipped = 0;
};

}  // namespace

GrpoVariant parse_grpo_variant(std::string_view name) {
  if (name == "grpo") return GrpoVariant::kGrpo;
  if (name == "drgrpo") return GrpoVariant::kDrGrpo;
  if (name == "dapo") return GrpoVariant::kDapo;
  fail(ErrorKind::kInvalidArgument,
       "unknown GRPO variant '" + std::string(name) + "' (expected grpo, drgrpo or dapo)");
}

const char* grpo_variant_name(GrpoVariant v) {
  switch (v) {
    case GrpoVariant::kGrpo:
      return "grpo";
    case GrpoVariant::kDrGrpo:
      return "drgrpo";
    case GrpoVariant::kDapo:
      return "dapo";
  }
  return "?";
}

const char* grpo_aggregation_name(GrpoAggregation a) {
  switch (a) {
    case GrpoAggregation::kSeqMeanTokenMean:
      return "seq-mean-token-mean";
    case GrpoAggregation::kSeqMeanTokenSumNorm:
      return "seq-mean-token-sum-norm";
    case GrpoAggregation::kTokenMean:
      return "token-mean";
  }
  return "?";
}

GrpoConfig GrpoConfig::preset(GrpoVariant v) {
  GrpoConfig c;
  switch (v) {
    case GrpoVariant::kGrpo:
      // DeepSeekMath §4.1 / eq. 3: ε = 0.2 both sides, β = 0.04 (§4.2 uses 0.04), per-sequence
      // 1/|o_i| then mean over the G outputs.
      break;
    case GrpoVariant::kDrGrpo:
      // Dr. GRPO §3: drop 1/|o_i| (normalise by a constant, the generation budget) and the std
      // division of the advantage; the paper also drops the KL term.
      c.std_normalize = false;
      c.beta = 0.0;
      c.aggregation = GrpoAggregation::kSeqMeanTokenSumNorm;
      break;
    case GrpoVariant::kDapo:
      // DAPO §3.1 clip-higher (ε_low 0.2, ε_high 0.28), §3.3 token-level policy-gradient loss;
      // the paper removes the KL penalty (§2.3).
      c.eps_high = 0.28;
      c.beta = 0.0;
      c.aggregation = GrpoAggregation::kTokenMean;
      break;
  }
  return c;
}

std::vector<double> group_advantages(std::span<const float> rewards, int64_t group_size,
                                     bool std_normalize, double adv_eps) {
  if (group_size < 1 || int64_t(rewards.size()) % group_size != 0) {
    fail(ErrorKind::kInvalidArgument, "group_advantages: " + std::to_string(rewards.size()) +
                                          " rewards do not split into groups of " +
                                          std::to_string(group_size));
  }
  if (std_normalize && group_size < 2) {
    fail(ErrorKind::kInvalidArgument,
         "group_advantages: the sample std needs a group size of at least 2");
  }
  std::vector<double> a(rewards.size());
  for (size_t g0 = 0; g0 < rewards.size(); g0 += size_t(group_size)) {
    double mean = 0.0;
    for (int64_t i = 0; i < group_size; ++i) mean += rewards[g0 + i];
    mean /= double(group_size);
    double var = 0.0;
    for (int64_t i = 0; i < group_size; ++i) {
      const double d = rewards[g0 + i] - mean;
      var += d * d;
    }
    // Sample std (divisor G−1): torch.std's default, used by TRL, verl, OpenRLHF and the oracle;
    // DeepSeekMath only says "std". adv_eps keeps a zero-variance group at A = 0.
    const double denom = std_normalize ? std::sqrt(var / double(group_size - 1)) + adv_eps : 1.0;
    for (int64_t i = 0; i < group_size; ++i) a[g0 + i] = (rewards[g0 + i] - mean) / denom;
  }
  return a;
}

std::vector<uint8_t> informative_groups(std::span<const float> rewards, int64_t group_size) {
  if (group_size < 1 || int64_t(rewards.size()) % group_size != 0) {
    fail(ErrorKind::kInvalidArgument, "informative_groups: " + std::to_string(rewards.size()) +
                                          " rewards do not split into groups of " +
                                          std::to_string(group_size));
  }
  std::vector<uint8_t> keep(rewards.size() / size_t(group_size), 0);
  for (size_t g = 0; g < keep.size(); ++g) {
    const auto* r = rewards.data() + g * size_t(group_size);
    keep[g] = std::any_of(r, r + group_size, [&](float x) { return x != r[0]; }) ? 1 : 0;
  }
  return keep;
}

void sampled_token_logprobs(std::span<const float> logits, std::span<const int32_t> tokens,
                            std::span<const int32_t> mask, int64_t vocab, std::span<float> out) {
  const int64_t n = int64_t(tokens.size());
  if (vocab < 1) fail(ErrorKind::kInvalidArgument, "sampled_token_logprobs: vocab must be ≥ 1");
  const char* where = "sampled_token_logprobs";
  check_size(where, "logits", logits.size(), n * vocab);
  check_size(where, "mask", mask.size(), n);
  check_size(where, "out", out.size(), n);
  for (int64_t i = 0; i < n; ++i) {
    if (!mask[i]) {
      out[i] = 0.0f;
      continue;
    }
    if (tokens[i] < 0 || tokens[i] >= vocab) {
      fail(ErrorKind::kInvalidArgument, "sampled_token_logprobs: token " +
                                            std::to_string(tokens[i]) + " outside [0, " +
                                            std::to_string(vocab) + ")");
    }
    const float* x = logits.data() + i * vocab;
    out[i] = float(double(x[tokens[i]]) - log_sum_exp(x, vocab, nullptr, nullptr));
  }
}

GrpoResult grpo_loss(const GrpoBatch& b, const GrpoConfig& cfg, std::span<float> dlogits) {
  const int64_t n_seq = b.groups * b.group_size, L = b.max_len, V = b.vocab;
  if (b.groups < 1 || b.group_size < 1 || L < 1 || V < 1) {
    fail(ErrorKind::kInvalidArgument,
         "grpo_loss: groups, group_size, max_len and vocab must be ≥ 1");
  }
  check_size("grpo_loss", "logits", b.logits.size(), n_seq * L * V);
  check_size("grpo_loss", "tokens", b.tokens.size(), n_seq * L);
  check_size("grpo_loss", "mask", b.mask.size(), n_seq * L);
  check_size("grpo_loss", "rewards", b.rewards.size(), n_seq);
  check_size("grpo_loss", "old_logprobs", b.old_logprobs.size(), n_seq * L);
  if (cfg.beta != 0.0 || !b.ref_logprobs.empty()) {  // β = 0 may omit the reference
    check_size("grpo_loss", "ref_logprobs", b.ref_logprobs.size(), n_seq * L);
  }
  if (!dlogits.empty()) check_size("grpo_loss", "dlogits", dlogits.size(), n_seq * L * V);
  if (!(cfg.eps_low >= 0.0 && cfg.eps_low < 1.0 && cfg.eps_high >= 0.0)) {
    fail(ErrorKind::kInvalidArgument, "grpo_loss: need 0 ≤ eps_low < 1 and eps_high ≥ 0");
  }
  if (cfg.norm_len < 0) fail(ErrorKind::kInvalidArgument, "grpo_loss: norm_len must be ≥ 0");
  for (int64_t i = 0; i < n_seq * L; ++i) {
    if (b.mask[i] != 0 && b.mask[i] != 1) {
      fail(ErrorKind::kInvalidArgument, "grpo_loss: mask element " + std::to_string(i) + " is " +
                                            std::to_string(b.mask[i]) + ", expected 0 or 1");
    }
    if (b.mask[i] && (b.tokens[i] < 0 || b.tokens[i] >= V)) {
      fail(ErrorKind::kInvalidArgument,
           "grpo_loss: token " + std::to_string(b.tokens[i]) + " at element " + std::to_string(i) +
               " outside the vocabulary [0, " + std::to_string(V) + ")");
    }
  }

  GrpoResult res;
  res.advantages = group_advantages(b.rewards, b.group_size, cfg.std_normalize, cfg.adv_eps);
  res.kept_groups = cfg.dynamic_sampling ? informative_groups(b.rewards, b.group_size)
                                         : std::vector<uint8_t>(size_t(b.groups), 1);
  std::vector<int64_t> len(size_t(n_seq), 0);
  int64_t kept_seqs = 0;
  for (int64_t n = 0; n < n_seq; ++n) {
    if (!res.kept_groups[size_t(n / b.group_size)]) {
      res.advantages[size_t(n)] = 0.0;
      continue;
    }
    ++kept_seqs;
    for (int64_t t = 0; t < L; ++t) len[size_t(n)] += b.mask[n * L + t];
    res.completion_tokens += len[size_t(n)];
  }

  // Per-sequence weight of each token term: the aggregation's 1/denominator.
  const double norm_len = double(cfg.norm_len > 0 ? cfg.norm_len : L);
  std::vector<double> weight(size_t(n_seq), 0.0);
  for (int64_t n = 0; n < n_seq; ++n) {
    if (!res.kept_groups[size_t(n / b.group_size)]) continue;
    switch (cfg.aggregation) {
      case GrpoAggregation::kSeqMeanTokenMean:  // DeepSeekMath eq. 3: (1/G) Σ_i (1/|o_i|) Σ_t
        weight[size_t(n)] =
            1.0 / (double(kept_seqs) * double(std::max<int64_t>(len[size_t(n)], 1)));
        break;
      case GrpoAggregation::kSeqMeanTokenSumNorm:  // Dr. GRPO §3: Σ_t term / budget
        weight[size_t(n)] = 1.0 / (double(kept_seqs) * norm_len);
        break;
      case GrpoAggregation::kTokenMean:  // DAPO §3.3: 1/Σ_i |o_i| over the batch
        weight[size_t(n)] = res.completion_tokens > 0 ? 1.0 / double(res.completion_tokens) : 0.0;
        break;
    }
  }

  const double lo = 1.0 - cfg.eps_low, hi = 1.0 + cfg.eps_high, beta = cfg.beta;
  std::vector<SeqStats> stats(static_cast<size_t>(n_seq));
  auto body = [&](int64_t n0, int64_t n1) {
    std::vector<double> prob(static_cast<size_t>(V));
    for (int64_t n = n0; n < n1; ++n) {
      const double A = res.advantages[size_t(n)], w = weight[size_t(n)];
      const bool kept = res.kept_groups[size_t(n / b.group_size)] != 0;
      SeqStats& st = stats[size_t(n)];
      for (int64_t t = 0; t < L; ++t) {
        const int64_t i = n * L + t;
        float* dl = dlogits.empty() ? nullptr : dlogits.data() + i * V;
        if (!kept || !b.mask[i]) {
          if (dl) std::fill(dl, dl + V, 0.0f);
          continue;
        }
        // log_softmax in float64 over the float32 logits.
        const float* x = b.logits.data() + i * V;
        double sum = 0.0;
        const double lse = log_sum_exp(x, V, prob.data(), &sum);
        const int32_t o = b.tokens[i];
        const double logp = double(x[o]) - lse;

        // Clipped surrogate (PPO, Schulman et al. 2017; DeepSeekMath eq. 3; DAPO §3.1 decouples
        // ε_low/ε_high). d/dratio follows torch.minimum/clamp exactly: the smaller
        // branch takes the gradient, an exact tie splits it evenly, clamp passes it on [lo, hi].
        const double ratio = std::exp(logp - double(b.old_logprobs[i]));
        const double unclipped = ratio * A;
        const double clipped = std::clamp(ratio, lo, hi) * A;
        const double d_clipped = (ratio >= lo && ratio <= hi) ? A : 0.0;
        const double surr = std::min(unclipped, clipped);
        double dsurr_dratio = 0.5 * (A + d_clipped);  // tie
        if (unclipped < clipped) dsurr_dratio = A;
        if (clipped < unclipped) dsurr_dratio = d_clipped;
        double term = -surr;
        double dterm_dlogp = -dsurr_dratio * ratio;
        // k3 estimator of KL(π_θ ‖ π_ref), DeepSeekMath eq. 4: π_ref/π − log(π_ref/π) − 1,
        // unbiased and ≥ 0 (Schulman 2020, "Approximating KL divergence").
        double kl = 0.0;
        if (!b.ref_logprobs.empty()) {
          const double d = double(b.ref_logprobs[i]) - logp;
          kl = std::exp(d) - d - 1.0;
          if (beta != 0.0) {
            term += beta * kl;
            dterm_dlogp += beta * (1.0 - std::exp(d));  // d kl / d logp = 1 − π_ref/π
          }
        }
        st.term_sum += w * term;
        st.kl_sum += kl;
        st.ratio_sum += ratio;
        st.clipped += (A > 0 && ratio > hi) || (A < 0 && ratio < lo);
        if (dl) {
          // d logp / d x_v = δ_{v,o} − softmax_v.
          const double g = w * dterm_dlogp, inv = 1.0 / sum;
          for (int64_t v = 0; v < V; ++v) dl[v] = float(-g * prob[size_t(v)] * inv);
          dl[o] = float(g * (1.0 - prob[size_t(o)] * inv));
        }
      }
    }
  };
  // ≥ ~64k logits per range: a thread hand-off costs more than a smaller range's work.
  parallel_for(n_seq, std::max<int64_t>(1, (int64_t(1) << 16) / (L * V)), body);

  double kl_sum = 0.0, ratio_sum = 0.0;
  for (const SeqStats& st : stats) {
    res.loss += st.term_sum;
    kl_sum += st.kl_sum;
    ratio_sum += st.ratio_sum;
    res.clipped_tokens += st.clipped;
  }
  if (res.completion_tokens > 0) {
    res.mean_kl = kl_sum / double(res.completion_tokens);
    res.mean_ratio = ratio_sum / double(res.completion_tokens);
  }
  return res;
}

}  // namespace fathom::rl
