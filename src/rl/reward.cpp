// Accuracy + format rewards (reward.h).
#include "rl/reward.h"

#include "rl/answer.h"
#include "rl/task_kinds.h"

namespace fathom::rl {

Reward score_completion(const Problem& problem, std::string_view completion,
                        const RewardOptions& options) {
  std::string opened;
  if (options.prompt_opens_think) {
    opened = "<think>" + std::string(completion);
    completion = opened;
  }
  const ThinkSplit s = split_think(completion);
  Reward r;
  r.format = s.well_formed ? 1.0 : 0.0;
  std::string note = s.well_formed ? "" : "format: " + s.problem;
  if (s.has_close) {
    detail::AnswerCheck c;
    switch (problem.kind) {
      case TaskKind::kArithmetic:
        c = detail::check_arithmetic(problem, s.answer);
        break;
      case TaskKind::kCountdown:
        c = detail::check_countdown(problem, s.answer);
        break;
      case TaskKind::kSort:
        c = detail::check_sort(problem, s.answer);
        break;
      case TaskKind::kOffTopic:
        c = detail::check_off_topic(problem, s.answer);
        break;
    }
    r.correct = c.correct ? 1.0 : 0.0;
    r.answer = c.answer;
    if (!c.correct) note += (note.empty() ? "" : "; ") + c.note;
  } else {
    note += (note.empty() ? "" : "; ") + std::string("no answer (no </think>)");
  }
  r.note = note;
  r.total = options.correct_weight * r.correct + options.format_weight * r.format;
  return r;
}

}  // namespace fathom::rl
