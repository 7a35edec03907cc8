// Options shared by `fathom tasks` and `fathom eval`: the task and the shape of its problems
// (rl::TaskConfig), and how problems become chat prompts (a chat template or DeepSeek-V3's literal
// format).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "rl/problem_format.h"
#include "rl/tasks.h"

namespace fathom::text {
class Tokenizer;
}

namespace fathom::cli {

struct TaskOptions {
  std::string task;
  std::string ops = "+-*";
  rl::TaskConfig config;

  // The task config these options ask for; Error(kInvalidArgument) naming a bad value.
  rl::TaskConfig build() const;
};

// --task and every TaskConfig field, with the defaults shown in --help.
void add_task_options(CLI::App* sub, TaskOptions& o);
// Every TaskConfig field without --task (for commands that take several tasks).
void add_task_shape_options(CLI::App* sub, TaskOptions& o);

// The format --template asks for: "deepseek" is DeepSeek-V3's template, anything else a Jinja
// file; bos/eos from the tokenizer when there is one, else DeepSeek's. Without --template: the
// tokenizer's chat template, or (when `literal_fallback`) DeepSeek-V3's literal format when there
// is no tokenizer or it has no template; without the fallback that is an Error naming `where`.
rl::ProblemFormat problem_format(const std::string& template_arg, const text::Tokenizer* tokenizer,
                                 bool literal_fallback, const std::string& where);

}  // namespace fathom::cli
