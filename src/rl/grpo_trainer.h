// The RL loop behind `fathom grpo` (DeepSeek-R1-Zero / DeepSeekMath GRPO in miniature): from a
// cold-start checkpoint, each step
//
//   1. saves the policy's fp32 master weights to OUT/policy (HF layout) and loads them as the
//      inference Model the sampler runs on (tiny models: milliseconds);
//   2. draws P train-split problems of this step's task (a mixture is visited round-robin, one
//      task per step), deterministic in (seed, step), and samples G completions of each in one
//      batched rollout (rollout.h), scored by the rule-based rewards;
//   3. DAPO dynamic sampling (when on): drops groups whose G rewards are all equal and samples
//      further problems, up to max_rounds rollouts, to refill the P groups; a step that ends
//      with no informative group makes no update (its CSV row says so: groups 0);
//   4. builds the padded batch (grpo_step.h), runs the frozen reference (the starting
//      checkpoint) when β > 0, then the policy's forward/backward with the GRPO loss;
//   5. clips the global gradient norm, takes an AdamW step (warmup, then constant or cosine
//      learning rate), and updates the MoE expert biases (aux-loss-free, when γ > 0).
//
// Outputs in OUT: grpo.csv (one row per step), eval.csv (held-out greedy pass@1 of every task at
// step 0 — the "before" — every eval_every steps and after the last step), rewards.png,
// length.png and eval.png drawn from them, and checkpoint/ (HF layout with the tokenizer files,
// which `fathom eval` and `fathom run` load).
//
// Defaults that differ from pretraining (trainer.h), and why:
//   λ_MTP = 0: the MTP loss on rollouts would be supervised next-next-token prediction of the
//     policy's own samples — right, wrong and malformed alike, and the eos padding — which is no
//     part of the RL objective, and since nothing is detached (h_i feeds the MTP module) it would
//     pull the shared trunk toward imitating its samples whatever their reward. The MTP module is
//     then left as the cold start trained it (speculative acceptance may drop as the trunk moves).
//   γ = 0: DeepSeek-V3 sets the bias update speed to 0 for the last stage of pretraining (report
//     §4.2); a rollout batch's loads also count the eos padding.
//   weight decay 0: a short fine-tune should move the weights by reward, not shrink them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rl/grpo_loss.h"
#include "rl/problem_format.h"
#include "rl/tasks.h"
#include "text/tokenizer.h"
#include "train/optimizer.h"
#include "train/train_model.h"

namespace fathom::rl {

// Where GRPO's π_old comes from (grpo_step.h).
enum class OldLogprobs {
  kPolicy,   // the update's own forward: ratio = 1, one update per rollout batch
  kRollout,  // the sampler's log-probs at temperature 1 (Completion::logprobs)
};
OldLogprobs parse_old_logprobs(std::string_view name);  // "policy" | "rollout"

struct GrpoRunOptions {
  std::string model_dir;      // cold-start checkpoint: config.json + safetensors
  std::string tokenizer_dir;  // tokenizer.json (+ tokenizer_config.json), copied to checkpoint/
  std::string out_dir;
  std::vector<TaskConfig> tasks;  // step s draws from tasks[s % tasks.size()]
  int64_t steps = 50;
  int64_t prompts = 8;       // P problems per step
  int64_t group = 8;         // G completions per problem
  int64_t max_tokens = 128;  // completion budget (also Dr. GRPO's normaliser)
  int64_t max_batch = 256;   // rollout KV-cache slots
  float temperature = 1.0f;
  float top_p = 1.0f;
  GrpoVariant variant = GrpoVariant::kGrpo;
  GrpoConfig grpo = GrpoConfig::preset(GrpoVariant::kGrpo);
  OldLogprobs old_logprobs = OldLogprobs::kPolicy;
  int64_t max_rounds = 3;  // DAPO dynamic sampling: rollouts per step to fill P groups
  int64_t warmup_steps = 0;
  bool cosine = false;  // after warmup: constant lr (DeepSeekMath's GRPO), or cosine to min_lr
  double min_lr = 0.0;
  double max_grad_norm = 1.0;
  double gamma = 0.0;  // aux-loss-free bias update speed
  AdamWOptions adamw{.lr = 1e-4, .weight_decay = 0.0};
  LossWeights loss{.lambda_mtp = 0.0, .alpha = 1e-4, .main_loss = {}};
  int64_t eval_every = 10;  // 0: only before the first and after the last step
  int64_t eval_n = 100;     // held-out problems per task; 0 disables evaluation
  uint64_t seed = 1;
  bool progress = true;  // the live progress line and eval lines on stderr

  void validate() const;  // Error(kInvalidArgument) naming the bad option
};

// Held-out greedy pass@1 of one task at one step (after `step` updates).
struct GrpoEvalPoint {
  int64_t step = 0;
  TaskKind task = TaskKind::kArithmetic;
  double pass_at_1 = 0.0, format_rate = 0.0, mean_reward = 0.0, mean_length = 0.0;
};

struct GrpoRunResult {
  std::vector<GrpoEvalPoint> evals;
  double first_reward = 0.0, last_reward = 0.0;  // mean reward of the first and last step
  double mean_step_seconds = 0.0;  // rollout + update + weight sync, evaluation excluded
  double mean_rollout_seconds = 0.0, mean_update_seconds = 0.0, mean_sync_seconds = 0.0;
  int64_t skipped_steps = 0;  // DAPO: steps with no informative group
};

GrpoRunResult run_grpo(const GrpoRunOptions& options, const text::Tokenizer& tokenizer,
                       const ProblemFormat& format);

}  // namespace fathom::rl
