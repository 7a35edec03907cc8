// Rejection sampling of a teacher's correct completions (distill.h).
#include "rl/distill.h"

#include <set>

#include "core/error.h"
#include "rl/rollout.h"

namespace fathom::rl {

DistillResult rejection_sample(const Model& teacher, const text::Tokenizer& tokenizer,
                               const ProblemFormat& format, std::span<const Problem> problems,
                               const DistillOptions& o) {
  if (o.samples < 1) fail(ErrorKind::kInvalidArgument, "distill: samples must be >= 1");
  if (o.temperature <= 0.0f && o.samples > 1) {
    fail(ErrorKind::kInvalidArgument,
         "distill: " + std::to_string(o.samples) +
             " samples per problem need a temperature > 0 (greedy samples are all the same)");
  }
  if (!tokenizer.eos_id()) {
    fail(ErrorKind::kInvalidArgument,
         "distill: the tokenizer has no eos token (tokenizer_config.json eos_token): each example "
         "must end with one");
  }
  RolloutOptions ro;
  ro.group_size = o.samples;
  ro.max_new_tokens = o.max_new_tokens;
  ro.max_batch = o.max_batch;
  ro.sampling = SamplingParams{.temperature = o.temperature, .top_p = o.top_p, .seed = o.seed};
  const RolloutResult r = rollout(teacher, tokenizer, format, problems, ro);

  DistillResult result;
  DistillStats& s = result.stats;
  s.problems = int64_t(problems.size());
  s.samples = int64_t(r.completions.size());
  s.seconds = r.stats.seconds;
  std::vector<int32_t> prompt;
  size_t prompt_of = SIZE_MAX;
  std::set<std::string> seen;  // texts already kept for the current problem
  bool covered = false;
  for (const Completion& c : r.completions) {
    if (c.problem != prompt_of) {
      prompt_of = c.problem;
      prompt = tokenizer.encode(format.prompt(problems[c.problem]));
      seen.clear();
      covered = false;
    }
    const bool correct = c.reward.correct == 1.0, formatted = c.reward.format == 1.0;
    s.correct += correct;
    s.formatted += formatted;
    if (!correct || !formatted) continue;
    if (c.finish_reason != "stop") {
      ++s.truncated;
      continue;
    }
    ++s.accepted;
    if (!seen.insert(c.text).second) {
      ++s.duplicates;
      continue;
    }
    DistillExample e;
    e.problem = c.problem;
    e.completion = c.text;
    e.ids = prompt;
    const std::vector<int32_t> completion = tokenizer.encode(c.text);
    e.ids.insert(e.ids.end(), completion.begin(), completion.end());
    e.ids.push_back(*tokenizer.eos_id());
    s.tokens += int64_t(e.ids.size());
    s.problems_covered += !covered;
    covered = true;
    result.examples.push_back(std::move(e));
  }
  s.kept = int64_t(result.examples.size());
  return result;
}

}  // namespace fathom::rl
