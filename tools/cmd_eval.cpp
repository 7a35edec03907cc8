// fathom eval: a model's accuracy on held-out task problems. Renders each problem through the
// chat template with thinking on, samples completions in one batched rollout, and scores them
// with the rule-based rewards: pass@1 (greedy, or the mean over --samples), pass@k (Chen et al.
// 2021's unbiased estimator), the format-reward rate, completion lengths and tokens/s.
//   fathom eval --model run/checkpoint --task arithmetic --n 200
//   fathom eval --model run/checkpoint --task countdown --samples 8 --temperature 0.7 --json
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "command.h"
#include "default_model.h"
#include "core/error.h"
#include "model/model.h"
#include "rl/evaluation.h"
#include "rl/rollout.h"
#include "task_options.h"
#include "text/tokenizer.h"
#include "warm_up.h"

namespace fathom::cli {
namespace {

struct EvalOptions {
  TaskOptions task;
  std::string model, tokenizer, template_arg;
  int64_t n = 200, samples = 1, max_tokens = 256, batch = 256, show = 0;
  uint64_t seed = 1;
  float temperature = 0.0f, top_p = 1.0f;
  bool json = false;
};

std::string quoted_line(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run_eval(EvalOptions o) {
  o.model = model_or_builtin(o.model);
  const rl::TaskConfig config = o.task.build();
  if (o.samples > 1 && o.temperature <= 0.0f) {
    fail(ErrorKind::kInvalidArgument,
         "--samples " + std::to_string(o.samples) +
             " needs --temperature > 0: greedy samples are all the same");
  }
  const std::string tokenizer_dir = o.tokenizer.empty() ? o.model : o.tokenizer;
  if (!std::filesystem::is_directory(o.model)) {
    fail(ErrorKind::kNotFound, o.model + ": not a directory");
  }
  if (!std::filesystem::exists(std::filesystem::path(tokenizer_dir) / "tokenizer.json")) {
    fail(ErrorKind::kNotFound,
         tokenizer_dir +
             " has no tokenizer.json: fathom eval needs the tokenizer the model was "
             "trained with (copy tokenizer.json and tokenizer_config.json there, or "
             "pass --tokenizer DIR)");
  }
  const text::Tokenizer tokenizer = text::Tokenizer::load(tokenizer_dir);
  const rl::ProblemFormat format = problem_format(o.template_arg, &tokenizer, false, tokenizer_dir);
  const Model model(o.model);
  warm_up(model.checkpoint(), false);  // tokens/s without first-touch disk reads

  const std::vector<rl::Problem> problems =
      rl::generate_problems(config, rl::Split::kHeldOut, o.seed, size_t(o.n));
  rl::RolloutOptions ro;
  ro.group_size = o.samples;
  ro.max_new_tokens = o.max_tokens;
  ro.max_batch = o.batch;
  ro.sampling = SamplingParams{.temperature = o.temperature, .top_p = o.top_p, .seed = o.seed};
  const rl::RolloutResult r = rl::rollout(model, tokenizer, format, problems, ro);
  const rl::EvalSummary s = rl::summarize(r.completions, o.samples);
  const int64_t shown = std::min<int64_t>(o.show, s.problems);

  if (o.json) {
    nlohmann::ordered_json j = {{"task", rl::task_kind_name(config.kind)},
                                {"split", "heldout"},
                                {"problems", s.problems},
                                {"samples", s.samples},
                                {"seed", o.seed},
                                {"temperature", o.temperature},
                                {"top_p", o.top_p},
                                {"max_tokens", o.max_tokens}};
    for (const auto& [k, v] : s.pass_at) j["pass@" + std::to_string(k)] = v;
    j["correct"] = s.correct;
    j["format_rate"] = s.format_rate;
    j["mean_reward"] = s.mean_reward;
    j["mean_completion_tokens"] = s.mean_length;
    j["finished_stop"] = s.stopped;
    j["finished_length"] = s.truncated;
    j["generated_tokens"] = r.stats.generated_tokens;
    j["prompt_tokens"] = r.stats.prompt_tokens;
    j["steps"] = r.stats.steps;
    j["seconds"] = r.stats.seconds;
    j["tokens_per_second"] = r.stats.tokens_per_second();
    j["examples"] = nlohmann::ordered_json::array();
    for (int64_t p = 0; p < shown; ++p) {
      const rl::Completion& c = r.completions[size_t(p * o.samples)];
      j["examples"].push_back({{"question", problems[size_t(p)].question},
                               {"expected", problems[size_t(p)].answer},
                               {"completion", c.text},
                               {"answer", c.reward.answer},
                               {"correct", c.reward.correct == 1.0},
                               {"format", c.reward.format == 1.0},
                               {"finish_reason", c.finish_reason},
                               {"tokens", c.length()}});
    }
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }

  std::printf(
      "%s, held-out split: %lld problems (seed %llu), %lld sample%s each, %s, at most %lld "
      "new tokens\n",
      rl::task_kind_name(config.kind), static_cast<long long>(s.problems),
      static_cast<unsigned long long>(o.seed), static_cast<long long>(s.samples),
      s.samples == 1 ? "" : "s",
      o.temperature <= 0.0f ? "greedy"
                            : ("temperature " + std::to_string(o.temperature).substr(0, 4) +
                               ", top-p " + std::to_string(o.top_p).substr(0, 4))
                                  .c_str(),
      static_cast<long long>(o.max_tokens));
  for (const auto& [k, v] : s.pass_at) {
    std::printf("pass@%-6lld %.4f%s\n", static_cast<long long>(k), v,
                k == 1 ? ("   (" + std::to_string(s.correct) + " of " +
                          std::to_string(s.problems * s.samples) + " completions correct)")
                             .c_str()
                       : "");
  }
  std::printf("format      %.4f   (well-formed <think>…</think> answer)\n", s.format_rate);
  std::printf("reward      %.4f   mean\n", s.mean_reward);
  std::printf("length      %.1f tokens mean; %lld ended, %lld cut at --max-tokens\n", s.mean_length,
              static_cast<long long>(s.stopped), static_cast<long long>(s.truncated));
  std::printf("speed       %.1f tokens/s (%lld tokens, %lld sequences, %lld steps, %.2f s)\n",
              r.stats.tokens_per_second(), static_cast<long long>(r.stats.generated_tokens),
              static_cast<long long>(r.stats.sequences), static_cast<long long>(r.stats.steps),
              r.stats.seconds);
  for (int64_t p = 0; p < shown; ++p) {
    const rl::Completion& c = r.completions[size_t(p * o.samples)];
    const rl::Problem& problem = problems[size_t(p)];
    std::printf("\n--- example %lld: %s  (expected %s)\n%s\n--- answer %s: %s%s%s\n",
                static_cast<long long>(p + 1), problem.question.c_str(), problem.answer.c_str(),
                c.text.c_str(), quoted_line(c.reward.answer).c_str(),
                c.reward.correct == 1.0 ? "correct" : "wrong",
                c.reward.format == 1.0 ? ", well formed" : "",
                c.reward.note.empty() ? "" : (" (" + c.reward.note + ")").c_str());
  }
  return 0;
}

}  // namespace

Command register_eval(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand(
      "eval",
      "Accuracy on held-out task problems: pass@1, pass@k (with --samples), format-reward rate, "
      "completion length, tokens/s");
  sub->add_option("--model", o->model,
                  "Checkpoint directory (config.json, safetensors, and tokenizer.json unless "
                  "--tokenizer; default: the built-in model)");
  add_task_options(sub, o->task);
  sub->add_option("--n", o->n, "Held-out problems")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 30));
  sub->add_option("--seed", o->seed, "Seed of the problems and of the sampling")
      ->capture_default_str();
  sub->add_option("--samples", o->samples,
                  "Completions per problem; > 1 reports pass@k and needs "
                  "--temperature > 0")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 16));
  sub->add_option("--temperature", o->temperature, "Sampling temperature; 0 = greedy")
      ->capture_default_str();
  sub->add_option("--top-p", o->top_p, "Nucleus sampling mass")->capture_default_str();
  sub->add_option("--max-tokens", o->max_tokens, "Longest completion in tokens")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 24));
  sub->add_option("--batch", o->batch, "Sequences decoded together (KV-cache slots)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  sub->add_option("--show", o->show,
                  "Print this many example completions (the first sample of "
                  "the first problems)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--tokenizer", o->tokenizer, "Directory of tokenizer.json (default: --model)");
  sub->add_option("--template", o->template_arg,
                  "Chat template: 'deepseek' (DeepSeek-V3's) or a Jinja file (default: the "
                  "tokenizer's)");
  sub->add_flag("--json", o->json, "One JSON object on stdout");
  add_threads_option(sub);
  return {sub, [o] { return run_eval(*o); }};
}

}  // namespace fathom::cli
