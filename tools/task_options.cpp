#include "task_options.h"

#include "core/error.h"
#include "core/mapped_file.h"
#include "text/bpe_trainer.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace fathom::cli {

rl::TaskConfig TaskOptions::build() const {
  rl::TaskConfig c = config;
  c.kind = rl::parse_task_kind(task);
  c.arithmetic.add = c.arithmetic.sub = c.arithmetic.mul = false;
  for (char op : ops) {
    switch (op) {
      case '+':
        c.arithmetic.add = true;
        break;
      case '-':
        c.arithmetic.sub = true;
        break;
      case '*':
      case 'x':
        c.arithmetic.mul = true;
        break;
      default:
        fail(ErrorKind::kInvalidArgument,
             std::string("--ops: unknown operator '") + op + "' (expected some of + - *)");
    }
  }
  c.validate();
  return c;
}

void add_task_options(CLI::App* sub, TaskOptions& o) {
  sub->add_option("--task", o.task, "arithmetic | countdown | sort | offtopic")->required();
  add_task_shape_options(sub, o);
}

void add_task_shape_options(CLI::App* sub, TaskOptions& o) {
  rl::TaskConfig& c = o.config;
  sub->add_option("--held-out-per-mille", c.held_out_per_mille,
                  "Share of the problem space (by canonical-key hash) held out, per mille")
      ->capture_default_str();
  auto* g = "Task shape";
  sub->add_option("--min-digits", c.arithmetic.min_digits, "arithmetic: fewest digits per operand")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--max-digits", c.arithmetic.max_digits,
                  "arithmetic: most digits of + and - operands")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--mul-max-digits", c.arithmetic.mul_max_digits,
                  "arithmetic: most digits of * operands")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--ops", o.ops, "arithmetic: operators to draw from, some of + - *")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--min-numbers", c.countdown.min_numbers, "countdown: fewest numbers given")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--max-numbers", c.countdown.max_numbers, "countdown: most numbers given")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--min-target", c.countdown.min_target, "countdown: smallest target")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--max-target", c.countdown.max_target, "countdown: largest target")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--min-count", c.sort.min_count, "sort: shortest list")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--max-count", c.sort.max_count, "sort: longest list")
      ->capture_default_str()
      ->group(g);
  sub->add_option("--max-value", c.sort.max_value, "sort: values in [0, max-value]")
      ->capture_default_str()
      ->group(g);
}

rl::ProblemFormat problem_format(const std::string& template_arg, const text::Tokenizer* tokenizer,
                                 bool literal_fallback, const std::string& where) {
  if (!template_arg.empty()) {
    const std::string bos = tokenizer ? tokenizer->bos_token() : std::string(rl::kDeepSeekBos);
    const std::string eos = tokenizer ? tokenizer->eos_token() : std::string(rl::kDeepSeekEos);
    if (template_arg == "deepseek") {
      return rl::ProblemFormat(text::ChatTemplate(text::deepseek_v3_chat_template(), bos, eos));
    }
    return with_context(template_arg, [&] {
      return rl::ProblemFormat(text::ChatTemplate(read_text_file(template_arg), bos, eos));
    });
  }
  if (tokenizer && !tokenizer->chat_template().empty()) {
    return rl::ProblemFormat(text::ChatTemplate::from_tokenizer(*tokenizer));
  }
  if (literal_fallback) return rl::ProblemFormat();
  fail(ErrorKind::kInvalidArgument,
       where +
           " has no chat_template in tokenizer_config.json: train the tokenizer with "
           "`fathom tokenizer train --template deepseek`, or pass --template deepseek|FILE");
}

}  // namespace fathom::cli
