// Problems as chat prompts and worked solutions as completions (problem_format.h).
#include "rl/problem_format.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "text/tokenizer.h"

namespace fathom::rl {
namespace {

constexpr std::string_view kOpen = "<think>", kClose = "</think>";

nlohmann::ordered_json user_turn(const Problem& problem) {
  return {{"role", "user"}, {"content", problem.question}};
}

text::ChatOptions thinking_prompt() {
  text::ChatOptions options;
  options.add_generation_prompt = true;
  options.thinking = true;
  return options;
}

}  // namespace

bool prompt_opens_think(std::string_view prompt) {
  const size_t open = prompt.rfind(kOpen);
  return open != std::string_view::npos && prompt.find(kClose, open) == std::string_view::npos;
}

ProblemFormat::ProblemFormat(text::ChatTemplate chat_template)
    : template_(std::move(chat_template)) {}

std::string ProblemFormat::prompt(const Problem& problem) const {
  if (!template_) {
    return std::string(kDeepSeekBos) + "<｜User｜>" + problem.question + "<｜Assistant｜>";
  }
  nlohmann::ordered_json conversation = {{"messages", {user_turn(problem)}}};
  return template_->render(conversation, thinking_prompt());
}

std::string ProblemFormat::completion(const Problem& problem) const {
  const std::string p = prompt(problem);
  std::string_view s = problem.solution;
  if (prompt_opens_think(p) && s.substr(0, kOpen.size()) == kOpen) {
    s.remove_prefix(kOpen.size());
    // "<think>\n" in the prompt: the solution's own newline after "<think>" is already there.
    if (!p.empty() && p.back() == '\n' && !s.empty() && s.front() == '\n') s.remove_prefix(1);
  }
  return std::string(s);
}

std::string ProblemFormat::conversation(const Problem& problem) const {
  if (!template_) return prompt(problem) + problem.solution + std::string(kDeepSeekEos);
  nlohmann::ordered_json conversation = {
      {"messages", {user_turn(problem), {{"role", "assistant"}, {"content", problem.solution}}}}};
  text::ChatOptions options;
  options.thinking = true;
  return template_->render(conversation, options);
}

std::vector<int32_t> training_ids(const ProblemFormat& format, const text::Tokenizer& tokenizer,
                                  const Problem& problem) {
  if (!tokenizer.eos_id()) {
    fail(ErrorKind::kInvalidArgument,
         "the tokenizer has no eos token (tokenizer_config.json eos_token): training examples "
         "need one to end each completion");
  }
  std::vector<int32_t> ids = tokenizer.encode(format.prompt(problem));
  const std::vector<int32_t> completion = tokenizer.encode(format.completion(problem));
  ids.insert(ids.end(), completion.begin(), completion.end());
  ids.push_back(*tokenizer.eos_id());
  return ids;
}

std::string problem_jsonl(const Problem& problem) {
  const nlohmann::ordered_json line = {
      {"question", problem.question}, {"answer", problem.answer}, {"solution", problem.solution}};
  return line.dump();
}

}  // namespace fathom::rl
