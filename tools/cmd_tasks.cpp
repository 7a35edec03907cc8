// fathom tasks: task problems with worked solutions, as data for the supervised cold start.
//   fathom tasks --task arithmetic --max-digits 3 --ops +- --n 20000 --out sft.jsonl
//   fathom tasks --task arithmetic --n 20000 --format text --out corpus.txt   (tokenizer training)
//   fathom tasks --task arithmetic --n 20000 --tokenizer tok --out-tokens train.bin (fathom train)
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

#include "command.h"
#include "core/error.h"
#include "rl/problem_format.h"
#include "task_options.h"
#include "text/tokenizer.h"
#include "train/token_dataset.h"

namespace fathom::cli {
namespace {

struct TasksOptions {
  TaskOptions task;
  std::string split = "train", out, format = "jsonl", tokenizer, template_arg, out_tokens;
  int64_t n = 1000;
  uint64_t seed = 1;
};

int run_tasks(const TasksOptions& o) {
  if (o.out.empty() && o.out_tokens.empty()) {
    fail(ErrorKind::kInvalidArgument, "nothing to write: pass --out FILE and/or --out-tokens FILE");
  }
  if (!o.out_tokens.empty() && o.tokenizer.empty()) {
    fail(ErrorKind::kInvalidArgument, "--out-tokens needs --tokenizer DIR to encode the examples");
  }
  const rl::TaskConfig config = o.task.build();
  const rl::Split split = rl::parse_split(o.split);
  std::optional<text::Tokenizer> tokenizer;
  if (!o.tokenizer.empty()) tokenizer = text::Tokenizer::load(o.tokenizer);
  const rl::ProblemFormat format =
      problem_format(o.template_arg, tokenizer ? &*tokenizer : nullptr, true, o.tokenizer);
  const std::vector<rl::Problem> problems =
      rl::generate_problems(config, split, o.seed, size_t(o.n));

  if (!o.out.empty()) {
    std::ofstream out(o.out, std::ios::binary | std::ios::trunc);
    if (!out) fail(ErrorKind::kIo, "cannot open " + o.out + " for writing");
    for (const rl::Problem& p : problems) {
      // One example per line (jsonl), or one conversation document per example (text).
      out << (o.format == "jsonl" ? rl::problem_jsonl(p) : format.conversation(p)) << '\n';
    }
    out.close();
    if (!out) fail(ErrorKind::kIo, "cannot write " + o.out);
    std::printf("wrote %lld %s problems (%s split, seed %llu) to %s (%s%s)\n",
                static_cast<long long>(problems.size()), rl::task_kind_name(config.kind),
                rl::split_name(split), static_cast<unsigned long long>(o.seed), o.out.c_str(),
                o.format.c_str(),
                o.format == "text"
                    ? (format.literal() ? ", DeepSeek-V3 chat format" : ", chat template")
                    : "");
  }
  if (!o.out_tokens.empty()) {
    std::vector<uint32_t> ids;
    for (const rl::Problem& p : problems) {
      for (int32_t id : rl::training_ids(format, *tokenizer, p)) ids.push_back(uint32_t(id));
    }
    const int width = tokenizer->vocab_size() <= 65536 ? 2 : 4;
    write_token_file(o.out_tokens, ids, width);
    std::printf("wrote %lld tokens of %lld examples (%.1f per example, %d bytes per id) to %s\n",
                static_cast<long long>(ids.size()), static_cast<long long>(problems.size()),
                problems.empty() ? 0.0 : double(ids.size()) / double(problems.size()), width,
                o.out_tokens.c_str());
  }
  return 0;
}

}  // namespace

Command register_tasks(CLI::App& app) {
  auto o = std::make_shared<TasksOptions>();
  CLI::App* sub = app.add_subcommand(
      "tasks",
      "Write task problems with worked solutions (<think> trace, then the answer): JSONL, chat "
      "text for tokenizer training, or a token file for `fathom train`");
  add_task_options(sub, o->task);
  sub->add_option("--split", o->split, "train | heldout (disjoint by canonical problem key)")
      ->capture_default_str()
      ->check(CLI::IsMember({"train", "heldout"}));
  sub->add_option("--n", o->n, "Problems to write")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 40));
  sub->add_option("--seed", o->seed, "Generation seed (the same seed gives the same problems)")
      ->capture_default_str();
  sub->add_option("--out", o->out, "Problems file to write, in --format");
  sub->add_option("--format", o->format,
                  "jsonl: {question, answer, solution} per line; text: each example as one chat "
                  "conversation (the template's, else DeepSeek-V3's format written literally)")
      ->capture_default_str()
      ->check(CLI::IsMember({"jsonl", "text"}));
  sub->add_option("--tokenizer", o->tokenizer,
                  "tokenizer.json or its directory: its chat template renders the examples, and "
                  "it encodes --out-tokens");
  sub->add_option("--template", o->template_arg,
                  "Chat template: 'deepseek' (DeepSeek-V3's) or a Jinja file; overrides the "
                  "tokenizer's");
  sub->add_option("--out-tokens", o->out_tokens,
                  "Token file for `fathom train --data` (FTOK; each example is the rendered "
                  "prompt, the worked solution and the eos id)");
  return {sub, [o] { return run_tasks(*o); }};
}

}  // namespace fathom::cli
