// fathom distill: rejection sampling from a teacher (rl/distill.h) — K samples per train-split
// problem, the correct and well-formed ones kept (deduplicated) as supervised examples in the
// token-file format `fathom train --data` reads; fine-tune a student on them with
// `fathom train --config student.json` (from scratch) or `--init DIR` (from a checkpoint).
//   fathom distill --teacher rl/checkpoint --task arithmetic --n 2000 --samples 8 --out-tokens
//   d.bin
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "rl/distill.h"
#include "task_options.h"
#include "text/tokenizer.h"
#include "train/token_dataset.h"

namespace fathom::cli {
namespace {

struct DistillCliOptions {
  rl::DistillOptions distill;
  std::vector<std::string> tasks;
  TaskOptions shape;
  std::string teacher, tokenizer, template_arg, out_tokens, out_jsonl;
  int64_t n = 1000;
};

int run_distill(const DistillCliOptions& o) {
  std::vector<rl::TaskConfig> tasks;
  for (const std::string& name : o.tasks) {
    TaskOptions t = o.shape;
    t.task = name;
    tasks.push_back(t.build());
  }
  const std::string tokenizer_dir = o.tokenizer.empty() ? o.teacher : o.tokenizer;
  if (!std::filesystem::is_directory(o.teacher)) {
    fail(ErrorKind::kNotFound, o.teacher + ": not a directory");
  }
  if (!std::filesystem::is_regular_file(tokenizer_dir) &&
      !std::filesystem::exists(std::filesystem::path(tokenizer_dir) / "tokenizer.json")) {
    fail(ErrorKind::kNotFound, tokenizer_dir +
                                   " has no tokenizer.json: fathom distill needs the teacher's "
                                   "tokenizer (or pass --tokenizer DIR)");
  }
  const text::Tokenizer tokenizer = text::Tokenizer::load(tokenizer_dir);
  const rl::ProblemFormat format = problem_format(o.template_arg, &tokenizer, false, tokenizer_dir);
  const Model teacher(o.teacher);

  std::ofstream jsonl;
  if (!o.out_jsonl.empty()) {
    jsonl.open(o.out_jsonl, std::ios::binary | std::ios::trunc);
    if (!jsonl) fail(ErrorKind::kIo, "cannot open " + o.out_jsonl + " for writing");
  }
  std::vector<uint32_t> ids;
  rl::DistillStats total;
  for (const rl::TaskConfig& task : tasks) {
    const std::vector<rl::Problem> problems =
        rl::generate_problems(task, rl::Split::kTrain, o.distill.seed, size_t(o.n));
    const rl::DistillResult r =
        rl::rejection_sample(teacher, tokenizer, format, problems, o.distill);
    const rl::DistillStats& s = r.stats;
    for (const rl::DistillExample& e : r.examples) {
      for (int32_t id : e.ids) ids.push_back(uint32_t(id));
      if (jsonl.is_open()) {
        const rl::Problem& p = problems[e.problem];
        jsonl << nlohmann::ordered_json{{"task", rl::task_kind_name(task.kind)},
                                        {"question", p.question},
                                        {"answer", p.answer},
                                        {"completion", e.completion}}
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
      }
    }
    std::printf(
        "%s: %lld problems x %lld samples: %lld correct, %lld well formed, %lld accepted "
        "(%.1f%%), %lld duplicates, %lld cut at --max-tokens; %lld examples covering %lld "
        "problems, %lld tokens (%.1f s)\n",
        rl::task_kind_name(task.kind), static_cast<long long>(s.problems),
        static_cast<long long>(o.distill.samples), static_cast<long long>(s.correct),
        static_cast<long long>(s.formatted), static_cast<long long>(s.accepted),
        s.samples ? 100.0 * double(s.accepted) / double(s.samples) : 0.0,
        static_cast<long long>(s.duplicates), static_cast<long long>(s.truncated),
        static_cast<long long>(s.kept), static_cast<long long>(s.problems_covered),
        static_cast<long long>(s.tokens), s.seconds);
    total.samples += s.samples;
    total.kept += s.kept;
    total.tokens += s.tokens;
  }
  if (jsonl.is_open()) {
    jsonl.close();
    if (!jsonl) fail(ErrorKind::kIo, "cannot write " + o.out_jsonl);
  }
  write_token_file(o.out_tokens, ids, tokenizer.vocab_size() <= 65536 ? 2 : 4);
  std::printf("wrote %lld examples, %lld tokens, to %s\n", static_cast<long long>(total.kept),
              static_cast<long long>(total.tokens), o.out_tokens.c_str());
  if (total.kept == 0) {
    std::fprintf(stderr,
                 "fathom distill: warning: no completion was accepted (0 of %lld correct, well "
                 "formed and ended): %s holds no examples to train on; sample more (--samples, "
                 "--n), at another --temperature, or from a stronger teacher\n",
                 static_cast<long long>(total.samples), o.out_tokens.c_str());
  }
  return 0;
}

}  // namespace

Command register_distill(CLI::App& app) {
  auto o = std::make_shared<DistillCliOptions>();
  CLI::App* sub = app.add_subcommand(
      "distill",
      "Rejection sampling: a teacher's correct, well-formed completions of train-split problems "
      "as a token file for `fathom train` (distillation into a student)");
  sub->add_option("--teacher", o->teacher,
                  "Teacher checkpoint (config.json, safetensors, and tokenizer.json unless "
                  "--tokenizer)")
      ->required();
  sub->add_option("--task", o->tasks, "arithmetic | countdown | sort | offtopic; repeat for several")
      ->required();
  add_task_shape_options(sub, o->shape);
  sub->add_option("--n", o->n, "Train-split problems per task")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 30));
  sub->add_option("--samples", o->distill.samples, "Completions sampled per problem (K)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 16));
  sub->add_option("--temperature", o->distill.temperature, "Sampling temperature")
      ->capture_default_str();
  sub->add_option("--top-p", o->distill.top_p, "Nucleus sampling mass")->capture_default_str();
  sub->add_option("--max-tokens", o->distill.max_new_tokens, "Longest completion in tokens")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 24));
  sub->add_option("--batch", o->distill.max_batch, "Sequences decoded together (KV-cache slots)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  sub->add_option("--seed", o->distill.seed, "Seed of the problems and of the sampling")
      ->capture_default_str();
  sub->add_option("--out-tokens", o->out_tokens,
                  "Token file to write (FTOK; each example is the rendered prompt, the teacher's "
                  "completion and the eos id)")
      ->required();
  sub->add_option("--out-jsonl", o->out_jsonl,
                  "Also write the examples as {task, question, answer, completion} lines");
  sub->add_option("--tokenizer", o->tokenizer, "Directory of tokenizer.json (default: --teacher)");
  sub->add_option("--template", o->template_arg,
                  "Chat template: 'deepseek' (DeepSeek-V3's) or a Jinja file (default: the "
                  "tokenizer's)");
  add_threads_option(sub);
  return {sub, [o] { return run_distill(*o); }};
}

}  // namespace fathom::cli
