// Evaluation summary of a rollout (evaluation.h).
#include "rl/evaluation.h"

#include <string>

#include "core/error.h"
#include "rl/pass_at_k.h"

namespace fathom::rl {

std::vector<int64_t> pass_k_values(int64_t samples) {
  std::vector<int64_t> ks;
  for (int64_t k = 1; k < samples; k *= 2) ks.push_back(k);
  ks.push_back(samples);
  return ks;
}

EvalSummary summarize(std::span<const Completion> completions, int64_t samples) {
  if (samples < 1 || completions.size() % size_t(samples) != 0) {
    fail(ErrorKind::kInvalidArgument, std::to_string(completions.size()) +
                                          " completions are not groups of " +
                                          std::to_string(samples) + " samples");
  }
  EvalSummary s;
  s.samples = samples;
  s.problems = int64_t(completions.size()) / samples;
  std::vector<int64_t> correct(size_t(s.problems), 0);
  int64_t formatted = 0, tokens = 0;
  double reward = 0.0;
  for (size_t i = 0; i < completions.size(); ++i) {
    const Completion& c = completions[i];
    const bool right = c.reward.correct == 1.0;
    correct[i / size_t(samples)] += right;
    s.correct += right;
    formatted += c.reward.format == 1.0;
    reward += c.reward.total;
    tokens += c.length();
    s.stopped += c.finish_reason == "stop";
    s.truncated += c.finish_reason == "length";
  }
  if (s.problems > 0) {
    for (int64_t k : pass_k_values(samples))
      s.pass_at.emplace_back(k, mean_pass_at_k(correct, samples, k));
    const double n = double(completions.size());
    s.format_rate = double(formatted) / n;
    s.mean_reward = reward / n;
    s.mean_length = double(tokens) / n;
  }
  return s;
}

}  // namespace fathom::rl
