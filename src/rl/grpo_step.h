// One GRPO-family policy update through the whole model: sampled sequences (prompt + completion,
// grouped G per prompt, with rewards) become a padded batch of ids; the policy's TrainModel runs
// its forward with the GRPO loss (grpo_loss.h) on the completion positions in place of next-token
// cross entropy (LossWeights::main_loss), and its backward fills every parameter's gradient.
//
//   ids [N, T+1]   row n: prompt_n · completion_n · pad … (pad = the eos id; masked out)
//   logit row n·T + |prompt_n| − 1 + j predicts completion token j (the causal shift by one)
//
// Causal attention keeps the padding from touching any completion position, so padding past a
// sequence's end changes nothing but the work. The loss sees the completion positions only:
// their logits are gathered into GrpoBatch::logits [N, L, V] (L = the longest completion), and
// grpo_loss's d(loss)/d(logits) is scattered back to those rows; every other row (prompt,
// padding) gets zero gradient from the main loss.
//
// Old log-probs (the ratio's denominator). With one optimizer update per rollout batch, the
// policy that sampled is the policy being updated: π_old = π_θ, so taking old_logprobs from this
// very forward makes ratio = exp(logp − old) = 1 (to the float rounding of the stored old value,
// |ratio − 1| < 1e-6), the clip is never active, and the gradient is the plain group-normalised
// policy gradient, A_i·∇log π(o_t) (DeepSeekMath §4.1.2 with μ = 1 iteration). Passing the
// rollout's own log-probs instead (PolicySequence::old_logprobs) measures the gap between the
// inference engine's and the trainer's arithmetic in the ratio (GrpoResult::mean_ratio).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rl/grpo_loss.h"
#include "train/train_model.h"

namespace fathom::rl {

struct PolicySequence {
  std::vector<int32_t> prompt;      // ≥ 1 id
  std::vector<int32_t> completion;  // sampled ids; the eos id last when the sequence stopped
  float reward = 0.0f;
  // [completion.size()] log π_old of each completion token; empty: the policy's own (ratio 1).
  std::vector<float> old_logprobs;
};

struct PolicyBatch {
  int64_t n_seq = 0;                // N
  int64_t seq_len = 0;              // T: training positions per row (ids hold T + 1)
  int64_t max_completion = 0;       // L
  std::vector<int32_t> ids;         // [N, T + 1]
  std::vector<int64_t> first_row;   // [N] logit row predicting completion token 0
  std::vector<int32_t> tokens;      // [N, L] completion ids (pad id past the end)
  std::vector<int32_t> mask;        // [N, L] 1 on completion tokens
  std::vector<float> rewards;       // [N]
  std::vector<float> old_logprobs;  // [N, L]; empty when every sequence uses the policy's own
};

// Pads the sequences into one batch. seq_len 0 = the least that fits (the longest prompt +
// completion − 1, at least 2); a larger seq_len pads further (a fixed TrainModel shape). Throws
// Error(kInvalidArgument) for an empty prompt, old_logprobs of the wrong length, or a mix of
// sequences with and without old_logprobs.
PolicyBatch make_policy_batch(std::span<const PolicySequence> sequences, int32_t pad_id,
                              int64_t seq_len = 0);

// The completion positions' rows of `logits` ([N·T, vocab]) as [N, L, vocab]; zero on padding.
void gather_completion_logits(const PolicyBatch& b, const float* logits, int64_t vocab,
                              std::span<float> out);

// log π_ref of every completion token ([N, L], 0 on padding) from a forward of `reference`
// (a TrainModel of the frozen reference, shape (≥ N, T)) on b.ids.
std::vector<float> reference_logprobs(TrainModel& reference, const PolicyBatch& b);

struct PolicyStep {
  GrpoResult grpo;
  StepLosses losses;  // losses.main_ce is the GRPO loss; total adds λ·MTP CE and balance
};

// The policy's forward on b.ids with the GRPO loss over groups of `group_size` consecutive
// sequences, and when `backward`, d(total)/d(param) accumulated into every Param::grad (the
// caller zeroes them first). `policy` must have shape (≥ N, T). ref_logprobs [N, L] may be empty
// when config.beta is 0.
PolicyStep policy_loss(TrainModel& policy, const PolicyBatch& b, int64_t group_size,
                       const GrpoConfig& config, std::span<const float> ref_logprobs,
                       LossWeights weights, bool backward);

}  // namespace fathom::rl
