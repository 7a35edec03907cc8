// Rule-based rewards for a completion of a task problem (DeepSeek-R1 §2.2.2): an accuracy reward
// (1 when the final answer after </think> is right, else 0) plus a format reward (1 when the
// completion is exactly one <think>…</think> followed by a non-empty answer).
//
// Format: after leading whitespace the completion starts with "<think>", contains exactly one
// "<think>" and exactly one "</think>", and has non-blank text after "</think>".
// Accuracy looks only at the text after the last "</think>" (none: no answer, 0), whatever the
// format, so the two rewards are independent signals:
//   arithmetic  the last number there (answer.h: commas as thousands separators, −/- signs,
//               "Answer:" and other text ignored) equals a op b exactly;
//   countdown   the answer expression (answer.h: answer_line, left of any '=') parses with
//               + − × ÷ (also * x / and ASCII -) and parentheses, uses each given number exactly
//               once and nothing else, and evaluates exactly (rationals; ÷0 is invalid) to the
//               target;
//   sort        the integers of the answer line, in order, are the sorted list.
#pragma once

#include <string>
#include <string_view>

#include "rl/tasks.h"

namespace fathom::rl {

struct RewardOptions {
  double correct_weight = 1.0;
  double format_weight = 0.1;  // the accuracy reward dominates (TinyZero uses 1 / 0.1 too)
  // The prompt already ends with "<think>" (as DeepSeek-R1's chat template's generation prompt
  // does): score "<think>" + completion.
  bool prompt_opens_think = false;
};

struct Reward {
  double correct = 0.0;  // 1 or 0
  double format = 0.0;   // 1 or 0
  double total = 0.0;    // correct_weight·correct + format_weight·format
  std::string answer;    // the extracted answer (number, expression or list), "" if none
  std::string note;      // why correct or format is 0, for logs ("" when both are 1)
};

Reward score_completion(const Problem& problem, std::string_view completion,
                        const RewardOptions& options = {});

}  // namespace fathom::rl
