// GRPO-family policy losses and their gradient with respect to the policy logits: GRPO
// (DeepSeekMath), Dr. GRPO and DAPO, for a batch of groups of G sampled completions each.
//
// Conventions are those of the oracle (../shared/oracle/dsref/grpo.py, README "GRPO cases"), which
// the golden test (tests/rl/grpo_golden_test.cpp) checks for every variant:
//
//   logp_{i,t}  = log_softmax(logits_{i,t})[o_{i,t}]                     current policy
//   ratio_{i,t} = exp(logp_{i,t} − old_logp_{i,t})
//   surr_{i,t}  = min(ratio·A_i, clip(ratio, 1 − ε_low, 1 + ε_high)·A_i)
//   kl_{i,t}    = exp(ref − logp) − (ref − logp) − 1                      k3 estimator
//   term_{i,t}  = −(surr_{i,t} − β·kl_{i,t})                              the loss is −J
//
// A, old_logp and ref_logp are constants; the gradient flows through log_softmax only. Padded
// positions (mask 0) contribute nothing and get exactly zero gradient.
//
// Batches: advantages are normalised within each group of G consecutive sequences (the group of
// one prompt); the aggregation runs over every sequence (or token) of the whole batch, so a batch
// of one group is exactly the oracle's case, and a batch of B groups is, for GRPO and Dr. GRPO,
// the mean of the B per-group losses, and for DAPO the token mean over all B·G completions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace fathom::rl {

enum class GrpoVariant {
  kGrpo,    // DeepSeekMath (Shao et al. 2024, arXiv 2402.03300) eq. 3, outcome supervision §4.1.2
  kDrGrpo,  // Dr. GRPO (Liu et al. 2025, arXiv 2503.20783): no std, no length normalisation
  kDapo,    // DAPO (Yu et al. 2025, arXiv 2503.14476): clip-higher, token-level mean
};

// How the masked per-token terms become one scalar (names as in dsref/grpo.py).
enum class GrpoAggregation {
  kSeqMeanTokenMean,     // (1/N) Σ_i (1/|o_i|) Σ_t term          GRPO
  kSeqMeanTokenSumNorm,  // (1/N) Σ_i Σ_t term / norm_len          Dr. GRPO (norm_len = budget)
  kTokenMean,            // Σ_{i,t} term / Σ_i |o_i|                DAPO
};

// "grpo" | "drgrpo" | "dapo"; anything else is Error(kInvalidArgument) listing those.
GrpoVariant parse_grpo_variant(std::string_view name);
const char* grpo_variant_name(GrpoVariant v);
const char* grpo_aggregation_name(GrpoAggregation a);  // "seq-mean-token-mean", ...

struct GrpoConfig {
  bool std_normalize = true;  // A = (r − mean)/(std + adv_eps), std with divisor G−1 (Bessel)
  double adv_eps = 1e-4;      // TRL's constant; the oracle's --adv-eps
  double eps_low = 0.2;
  double eps_high = 0.2;
  double beta = 0.04;  // KL coefficient; 0 skips the KL term (ref_logprobs may then be empty)
  GrpoAggregation aggregation = GrpoAggregation::kSeqMeanTokenMean;
  // Dr. GRPO's constant normaliser: the generation budget (max new tokens). 0 = the padded length
  // L of the batch, which is what the oracle uses (its completions are padded to the budget).
  int64_t norm_len = 0;
  // DAPO §3.2 dynamic sampling: groups whose rewards are all equal (accuracy 0 or 1) carry no
  // advantage signal; drop them from the batch entirely (they leave every denominator and get
  // zero gradient). DAPO over-samples until the batch is full of informative groups; that
  // refilling belongs to the rollout loop, which can use informative_groups() below.
  bool dynamic_sampling = false;

  // The oracle's parameters for each variant (dsref/grpo.py VARIANTS): GRPO ε 0.2/0.2, β 0.04;
  // Dr. GRPO ε 0.2/0.2, β 0, no std; DAPO ε 0.2/0.28, β 0, token mean. dynamic_sampling is off
  // in every preset (the oracle does not model it); turn it on for DAPO training.
  static GrpoConfig preset(GrpoVariant v);
};

// One batch, row-major, padded: N = groups·group_size sequences of L completion positions over a
// vocabulary of V. Sequence n belongs to group n / group_size.
struct GrpoBatch {
  int64_t groups = 1;
  int64_t group_size = 0;           // G
  int64_t max_len = 0;              // L, padded completion length
  int64_t vocab = 0;                // V
  std::span<const float> logits;    // [N, L, V] current-policy logits at completion positions
  std::span<const int32_t> tokens;  // [N, L] sampled ids o_{i,t} (any value in [0, V) on padding)
  std::span<const int32_t> mask;    // [N, L] 1 = completion token, 0 = padding
  std::span<const float> rewards;   // [N]
  std::span<const float> old_logprobs;  // [N, L] sampling policy's log-prob of o_{i,t}
  std::span<const float> ref_logprobs;  // [N, L] frozen reference's; may be empty when β = 0
};

struct GrpoResult {
  double loss = 0.0;
  std::vector<double> advantages;    // [N] (zero for groups dropped by dynamic sampling)
  std::vector<uint8_t> kept_groups;  // [groups] 1 = in the loss
  int64_t completion_tokens = 0;     // masked tokens of the kept groups
  // Tokens where the clip is active, counted as the oracle does:
  // (A > 0 ∧ ratio > 1 + ε_high) ∨ (A < 0 ∧ ratio < 1 − ε_low).
  int64_t clipped_tokens = 0;
  double mean_kl = 0.0;     // token mean of kl_{i,t} over the kept tokens (a diagnostic)
  double mean_ratio = 0.0;  // token mean of ratio_{i,t}
};

// Group-normalised advantages, per group of group_size consecutive rewards: r − mean(r), divided
// by (sample std + adv_eps) when std_normalize. Needs group_size ≥ 2 for the sample std.
std::vector<double> group_advantages(std::span<const float> rewards, int64_t group_size,
                                     bool std_normalize, double adv_eps);

// 1 per group whose rewards are not all equal: DAPO's dynamic-sampling filter (§3.2, the
// objective's constraint 0 < |{o_i correct}| < G), generalised to any reward values.
std::vector<uint8_t> informative_groups(std::span<const float> rewards, int64_t group_size);

// log_softmax(logits)[token] per position (float64 inside), 0 where mask is 0: the old-policy and
// reference log-probs the loss takes, from those models' logits. logits [n, V]; tokens, mask and
// out [n].
void sampled_token_logprobs(std::span<const float> logits, std::span<const int32_t> tokens,
                            std::span<const int32_t> mask, int64_t vocab, std::span<float> out);

// Loss and, when dlogits is non-empty ([N, L, V]), d(loss)/d(logits), overwritten (zero on
// padding and on dropped groups). Computed in float64 per token, stored as float. Shapes and
// token ids are validated (Error kInvalidArgument); a completion with no tokens counts as length
// 1 in GRPO's 1/|o_i| (as TRL's clamp(min=1)), contributing zero.
GrpoResult grpo_loss(const GrpoBatch& batch, const GrpoConfig& config, std::span<float> dlogits);

}  // namespace fathom::rl
