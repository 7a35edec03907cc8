// fathom grpo: reinforcement learning with verifiable rewards from a cold-start checkpoint —
// GRPO (DeepSeekMath), Dr. GRPO or DAPO on the programmatic tasks (rl/grpo_trainer.h).
//   fathom grpo --model cold/checkpoint --out rl --task arithmetic --steps 50
//   fathom grpo --model cold/checkpoint --out rl --task arithmetic --task sort --variant dapo
#include <cstdio>
#include <filesystem>
#include <memory>

#include "command.h"
#include "core/error.h"
#include "rl/grpo_trainer.h"
#include "task_options.h"
#include "text/tokenizer.h"

namespace fathom::cli {
namespace {

struct GrpoCliOptions {
  rl::GrpoRunOptions run;
  std::vector<std::string> tasks;
  TaskOptions shape;
  std::string tokenizer, template_arg, variant = "grpo", schedule = "constant",
                                       old_logprobs = "policy";
  double beta = 0.0, clip_low = 0.0, clip_high = 0.0;
  bool dynamic_sampling = false, quiet = false;
  CLI::Option *beta_opt = nullptr, *clip_low_opt = nullptr, *clip_high_opt = nullptr,
              *dynamic_opt = nullptr;
};

int run_grpo_command(GrpoCliOptions& c) {
  rl::GrpoRunOptions& o = c.run;
  for (const std::string& name : c.tasks) {
    TaskOptions t = c.shape;
    t.task = name;
    o.tasks.push_back(t.build());
  }
  // The variant's preset (grpo_loss.h), then the options given explicitly.
  o.variant = rl::parse_grpo_variant(c.variant);
  o.grpo = rl::GrpoConfig::preset(o.variant);
  o.grpo.dynamic_sampling = o.variant == rl::GrpoVariant::kDapo;
  if (c.beta_opt->count()) o.grpo.beta = c.beta;
  if (c.clip_low_opt->count()) o.grpo.eps_low = c.clip_low;
  if (c.clip_high_opt->count()) o.grpo.eps_high = c.clip_high;
  if (c.dynamic_opt->count()) o.grpo.dynamic_sampling = c.dynamic_sampling;
  o.old_logprobs = rl::parse_old_logprobs(c.old_logprobs);
  o.cosine = c.schedule == "cosine";
  o.progress = !c.quiet;
  o.tokenizer_dir = c.tokenizer.empty() ? o.model_dir : c.tokenizer;
  if (!std::filesystem::is_directory(o.model_dir)) {
    fail(ErrorKind::kNotFound, o.model_dir + ": not a directory");
  }
  const bool tokenizer_file = std::filesystem::is_regular_file(o.tokenizer_dir);
  if (!tokenizer_file &&
      !std::filesystem::exists(std::filesystem::path(o.tokenizer_dir) / "tokenizer.json")) {
    fail(ErrorKind::kNotFound,
         o.tokenizer_dir +
             " has no tokenizer.json: fathom grpo needs the tokenizer the model was trained "
             "with (copy tokenizer.json and tokenizer_config.json there, or pass --tokenizer DIR)");
  }
  const text::Tokenizer tokenizer = text::Tokenizer::load(o.tokenizer_dir);
  const rl::ProblemFormat format =
      problem_format(c.template_arg, &tokenizer, false, o.tokenizer_dir);

  const rl::GrpoRunResult r = rl::run_grpo(o, tokenizer, format);
  std::printf(
      "%s, %lld steps of %lld prompts x %lld samples: mean reward %.4f (step 1) -> %.4f "
      "(step %lld)\n",
      rl::grpo_variant_name(o.variant), static_cast<long long>(o.steps),
      static_cast<long long>(o.prompts), static_cast<long long>(o.group), r.first_reward,
      r.last_reward, static_cast<long long>(o.steps));
  for (size_t i = 0; i < r.evals.size(); ++i) {
    if (r.evals[i].step != 0) continue;
    for (size_t j = r.evals.size(); j-- > i;) {  // the same task's last evaluation
      if (r.evals[j].task != r.evals[i].task) continue;
      std::printf("held-out pass@1 %s: %.4f (step 0) -> %.4f (step %lld)\n",
                  rl::task_kind_name(r.evals[i].task), r.evals[i].pass_at_1, r.evals[j].pass_at_1,
                  static_cast<long long>(r.evals[j].step));
      break;
    }
  }
  if (r.skipped_steps > 0) {
    std::printf("%lld steps had no informative group and made no update\n",
                static_cast<long long>(r.skipped_steps));
  }
  std::printf("%.3f s/step (rollout %.3f, update %.3f, weight sync %.3f); checkpoint in %s\n",
              r.mean_step_seconds, r.mean_rollout_seconds, r.mean_update_seconds,
              r.mean_sync_seconds,
              (std::filesystem::path(o.out_dir) / "checkpoint").string().c_str());
  return 0;
}

}  // namespace

Command register_grpo(CLI::App& app) {
  auto c = std::make_shared<GrpoCliOptions>();
  rl::GrpoRunOptions& o = c->run;
  CLI::App* sub = app.add_subcommand(
      "grpo",
      "RL with verifiable rewards from a checkpoint: GRPO, Dr. GRPO or DAPO on task problems; "
      "grpo.csv, eval.csv, plots, checkpoint in HF layout");
  sub->add_option("--model", o.model_dir,
                  "Cold-start checkpoint (config.json, safetensors, and tokenizer.json unless "
                  "--tokenizer); also the frozen KL reference")
      ->required();
  sub->add_option("--out", o.out_dir,
                  "Output directory: grpo.csv, eval.csv, rewards.png, length.png, eval.png, "
                  "checkpoint/ (with the tokenizer files)")
      ->required();
  sub->add_option("--task", c->tasks,
                  "arithmetic | countdown | sort | offtopic; repeat for a mixture (one task per step, "
                  "round-robin)")
      ->required();
  add_task_shape_options(sub, c->shape);
  sub->add_option("--steps", o.steps, "Optimizer steps (one rollout batch each)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 30));
  sub->add_option("--prompts", o.prompts, "Problems per step (P)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  sub->add_option("--group", o.group, "Completions per problem (G), >= 2")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(2), int64_t(1) << 16));
  sub->add_option("--max-tokens", o.max_tokens,
                  "Longest completion in tokens (Dr. GRPO's length normaliser too)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 24));
  sub->add_option("--batch", o.max_batch, "Sequences decoded together in rollouts (KV slots)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  sub->add_option("--temperature", o.temperature, "Rollout sampling temperature (> 0)")
      ->capture_default_str();
  sub->add_option("--top-p", o.top_p, "Rollout nucleus mass")->capture_default_str();
  sub->add_option("--variant", c->variant,
                  "grpo (DeepSeekMath: std-normalised advantages, 1/|o| per sequence, beta "
                  "0.04) | drgrpo (no std, no length normalisation, beta 0) | dapo (clip-higher "
                  "0.28, token-level mean, dynamic sampling, beta 0)")
      ->capture_default_str()
      ->check(CLI::IsMember({"grpo", "drgrpo", "dapo"}));
  c->beta_opt = sub->add_option("--beta", c->beta,
                                "KL coefficient to the frozen reference, k3 estimator (default: "
                                "the variant's)");
  c->clip_low_opt =
      sub->add_option("--clip-low", c->clip_low, "Ratio clip below 1 (default: the variant's)");
  c->clip_high_opt =
      sub->add_option("--clip-high", c->clip_high, "Ratio clip above 1 (default: the variant's)");
  c->dynamic_opt = sub->add_flag("--dynamic-sampling,!--no-dynamic-sampling", c->dynamic_sampling,
                                 "Drop groups whose rewards are all equal and sample more "
                                 "problems to refill the batch (default: on for dapo)");
  sub->add_option("--max-rounds", o.max_rounds,
                  "Dynamic sampling: rollouts per step to fill the batch; a step left with no "
                  "informative group makes no update")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1000)));
  sub->add_option("--old-logprobs", c->old_logprobs,
                  "pi_old of the ratio: policy (this update's own forward, ratio 1: one update "
                  "per rollout batch) | rollout (the sampler's temperature-1 log-probs)")
      ->capture_default_str()
      ->check(CLI::IsMember({"policy", "rollout"}));
  sub->add_option("--lr", o.adamw.lr, "Peak learning rate")->capture_default_str();
  sub->add_option("--schedule", c->schedule,
                  "After warmup: constant (DeepSeekMath's GRPO) | cosine (to --min-lr)")
      ->capture_default_str()
      ->check(CLI::IsMember({"constant", "cosine"}));
  sub->add_option("--min-lr", o.min_lr, "Learning rate at the end of the cosine")
      ->capture_default_str();
  sub->add_option("--warmup", o.warmup_steps, "Linear warmup steps")->capture_default_str();
  sub->add_option("--weight-decay", o.adamw.weight_decay, "AdamW decoupled weight decay")
      ->capture_default_str();
  sub->add_option("--max-grad-norm", o.max_grad_norm, "Global gradient-norm clip")
      ->capture_default_str();
  sub->add_option("--lambda-mtp", o.loss.lambda_mtp,
                  "MTP loss weight on the rollouts (0: the MTP loss would imitate the policy's "
                  "own samples, right or wrong, through the shared trunk)")
      ->capture_default_str();
  sub->add_option("--alpha", o.loss.alpha, "Sequence-wise balance loss factor")
      ->capture_default_str();
  sub->add_option("--gamma", o.gamma,
                  "Aux-loss-free bias update speed (0: off, as at the end of V3 pretraining)")
      ->capture_default_str();
  sub->add_option("--eval-every", o.eval_every,
                  "Held-out greedy pass@1 every K steps (also at step 0 and after the last; 0: "
                  "only those)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--eval-n", o.eval_n, "Held-out problems per task per evaluation (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--seed", o.seed, "Seed of the problems drawn and of the sampling")
      ->capture_default_str();
  sub->add_option("--tokenizer", c->tokenizer, "Directory of tokenizer.json (default: --model)");
  sub->add_option("--template", c->template_arg,
                  "Chat template: 'deepseek' (DeepSeek-V3's) or a Jinja file (default: the "
                  "tokenizer's)");
  sub->add_flag("--quiet", c->quiet, "No progress line or evaluation lines on stderr");
  add_threads_option(sub);
  return {sub, [c] { return run_grpo_command(*c); }};
}

}  // namespace fathom::cli
