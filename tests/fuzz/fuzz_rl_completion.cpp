// Fuzz target: arbitrary bytes as a model completion, scored for each RL task kind (the think
// split, number scanning, answer line, exact expression evaluation). Scoring never throws.
#include <cstdint>
#include <string_view>

#include "rl/expression.h"
#include "rl/reward.h"
#include "rl/tasks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fathom::rl;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static const Problem problems[] = {
      generate_problem(TaskConfig{}, Split::kTrain, 1, 0),
      [] {
        TaskConfig c;
        c.kind = TaskKind::kCountdown;
        return generate_problem(c, Split::kTrain, 1, 0);
      }(),
      [] {
        TaskConfig c;
        c.kind = TaskKind::kSort;
        return generate_problem(c, Split::kTrain, 1, 0);
      }(),
  };
  RewardOptions opened;
  opened.prompt_opens_think = true;
  for (const Problem& p : problems) {
    (void)score_completion(p, text);
    (void)score_completion(p, text, opened);
  }
  (void)evaluate_expression(text);
  return 0;
}
