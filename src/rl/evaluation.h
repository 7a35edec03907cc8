// The numbers `fathom eval` reports from a rollout of G samples on each of P held-out problems:
// pass@1 (the mean accuracy over every sample; greedy: G = 1), pass@k by the unbiased estimator
// (pass_at_k.h) for k = 2, 4, 8, … and G itself, the format-reward rate, the mean reward and the
// completion lengths.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "rl/rollout.h"

namespace fathom::rl {

struct EvalSummary {
  int64_t problems = 0;
  int64_t samples = 0;                              // per problem (G)
  std::vector<std::pair<int64_t, double>> pass_at;  // (k, pass@k), k = 1, 2, 4, …, G
  int64_t correct = 0;                              // correct completions, of problems·samples
  double format_rate = 0.0;                         // share of completions with format reward 1
  double mean_reward = 0.0;                         // mean total reward
  double mean_length = 0.0;  // completion tokens, end-of-sequence token excluded
  int64_t stopped = 0;       // completions that ended with end of sequence
  int64_t truncated = 0;     // completions cut at max_new_tokens
};

// The k at which pass@k is reported for `samples` per problem: the powers of two below it, then
// samples itself ({1} for 1, {1, 2, 4, 5} for 5).
std::vector<int64_t> pass_k_values(int64_t samples);

// `completions` problem-major, `samples` per problem (a rollout's layout). Throws
// Error(kInvalidArgument) when the count is not a multiple of samples.
EvalSummary summarize(std::span<const Completion> completions, int64_t samples);

}  // namespace fathom::rl
