// How a task problem is put to a chat model, and how its worked solution is written as the
// model's turn: one place for the prompts of RL rollouts and evaluation and for the supervised
// cold-start data (DeepSeek-R1 §2.3.1), so the two can never disagree on a byte.
//
// The problem is one user turn, rendered with the generation prompt and thinking requested (the
// template variables `thinking` / `enable_thinking` set to true, which DeepSeek-V3.1- and
// Qwen3-style templates read). Without a Jinja template the DeepSeek-V3 chat format is written
// literally, which is what DeepSeek-V3's own template renders:
//
//   prompt        <｜begin▁of▁sentence｜><｜User｜>{question}<｜Assistant｜>
//   completion    <think>\n{trace}\n</think>\nAnswer: {answer}          (Problem::solution)
//   conversation  prompt + completion + <｜end▁of▁sentence｜>
//
// DeepSeek-R1's template ends the generation prompt with "<think>\n": the completion then starts
// inside the thinking block, so the solution's opening "<think>\n" is not part of it, and the
// reward must be told (RewardOptions::prompt_opens_think).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rl/tasks.h"
#include "text/chat_template.h"

namespace fathom::text {
class Tokenizer;
}

namespace fathom::rl {

inline constexpr std::string_view kDeepSeekBos = "<｜begin▁of▁sentence｜>";
inline constexpr std::string_view kDeepSeekEos = "<｜end▁of▁sentence｜>";

// True when `prompt` leaves a "<think>" block open (a "<think>" with no "</think>" after it).
bool prompt_opens_think(std::string_view prompt);

class ProblemFormat {
 public:
  // DeepSeek-V3's chat format written literally.
  ProblemFormat() = default;
  // A chat template (a tokenizer's, or a Jinja file's).
  explicit ProblemFormat(text::ChatTemplate chat_template);

  bool literal() const { return !template_.has_value(); }

  // The user turn and the assistant prefix the model continues from.
  std::string prompt(const Problem& problem) const;
  // The worked solution as the continuation of prompt(problem): Problem::solution, less its
  // leading "<think>" (and the newline after it when the prompt already ends with one) when the
  // prompt opens the thinking block. No end-of-sequence token.
  std::string completion(const Problem& problem) const;
  // The whole conversation, user turn and the worked solution as the assistant's turn, rendered
  // by the template (literally: prompt + completion + end of sentence): a tokenizer-training
  // document.
  std::string conversation(const Problem& problem) const;

 private:
  std::optional<text::ChatTemplate> template_;
};

// Ids of one supervised example, exactly as a rollout would see it: encode(prompt) followed by
// encode(completion) and the end-of-sequence id. (Encoding prompt and completion apart keeps the
// prompt's ids equal to the rollout's even when BPE could merge across the boundary.) Throws
// Error(kInvalidArgument) when the tokenizer has no eos token.
std::vector<int32_t> training_ids(const ProblemFormat& format, const text::Tokenizer& tokenizer,
                                  const Problem& problem);

// {"question": ..., "answer": ..., "solution": ...} on one line, no trailing newline.
std::string problem_jsonl(const Problem& problem);

}  // namespace fathom::rl
