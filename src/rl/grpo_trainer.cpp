// The GRPO loop (grpo_trainer.h).
#include "rl/grpo_trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "core/error.h"
#include "model/model.h"
#include "rl/evaluation.h"
#include "rl/grpo_report.h"
#include "rl/grpo_step.h"
#include "rl/rng.h"
#include "rl/rollout.h"
#include "train/params.h"

namespace fathom::rl {
namespace {

namespace fs = std::filesystem;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// tokenizer.json and tokenizer_config.json beside it, into `dir`, so the checkpoint loads on its
// own in `fathom eval` / `fathom run`.
void copy_tokenizer_files(const std::string& tokenizer_path, const fs::path& dir) {
  const fs::path from = fs::is_directory(tokenizer_path) ? fs::path(tokenizer_path)
                                                         : fs::path(tokenizer_path).parent_path();
  for (const char* name : {"tokenizer.json", "tokenizer_config.json"}) {
    if (fs::exists(from / name) && !fs::equivalent(from, dir)) {
      fs::copy_file(from / name, dir / name, fs::copy_options::overwrite_existing);
    }
  }
}

// One evaluation of every distinct task: greedy, eval_n held-out problems, the same problems at
// every step (the held-out split under the run's seed).
std::vector<GrpoEvalPoint> evaluate(const Model& model, const text::Tokenizer& tokenizer,
                                    const ProblemFormat& format, const GrpoRunOptions& o,
                                    int64_t step) {
  std::vector<GrpoEvalPoint> points;
  std::vector<TaskKind> seen;
  for (const TaskConfig& task : o.tasks) {
    if (std::find(seen.begin(), seen.end(), task.kind) != seen.end()) continue;
    seen.push_back(task.kind);
    const std::vector<Problem> problems =
        generate_problems(task, Split::kHeldOut, o.seed, size_t(o.eval_n));
    RolloutOptions ro;
    ro.group_size = 1;
    ro.max_new_tokens = o.max_tokens;
    ro.max_batch = o.max_batch;
    ro.sampling = SamplingParams{.temperature = 0.0f, .top_p = 1.0f, .seed = o.seed};
    const RolloutResult r = rollout(model, tokenizer, format, problems, ro);
    const EvalSummary s = summarize(r.completions, 1);
    points.push_back({.step = step,
                      .task = task.kind,
                      .pass_at_1 = s.pass_at.front().second,
                      .format_rate = s.format_rate,
                      .mean_reward = s.mean_reward,
                      .mean_length = s.mean_length});
  }
  return points;
}

// The G completions of one problem, as a group for the batch.
void add_group(std::span<const Completion> group, OldLogprobs old,
               std::vector<PolicySequence>& out) {
  for (const Completion& c : group) {
    PolicySequence s;
    s.prompt = c.prompt_ids;
    s.completion = c.ids;
    s.reward = float(c.reward.total);
    if (old == OldLogprobs::kRollout) s.old_logprobs = c.logprobs;
    out.push_back(std::move(s));
  }
}

}  // namespace

OldLogprobs parse_old_logprobs(std::string_view name) {
  if (name == "policy") return OldLogprobs::kPolicy;
  if (name == "rollout") return OldLogprobs::kRollout;
  fail(ErrorKind::kInvalidArgument,
       "unknown old log-probs source '" + std::string(name) + "' (expected policy or rollout)");
}

void GrpoRunOptions::validate() const {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) fail(ErrorKind::kInvalidArgument, "grpo: " + message);
  };
  require(!tasks.empty(), "at least one --task is needed");
  require(steps >= 1, "--steps must be >= 1");
  require(prompts >= 1, "--prompts must be >= 1");
  require(group >= 2, "--group must be >= 2 (advantages compare completions of one prompt)");
  require(max_tokens >= 1, "--max-tokens must be >= 1");
  require(max_rounds >= 1, "--max-rounds must be >= 1");
  require(temperature > 0.0f, "--temperature must be > 0 (greedy samples of a group are equal)");
  require(adamw.lr > 0.0, "--lr must be > 0");
  require(grpo.beta >= 0.0, "--beta must be >= 0");
  require(eval_every >= 0 && eval_n >= 0, "--eval-every and --eval-n must be >= 0");
  require(warmup_steps >= 0, "--warmup must be >= 0");
  for (const TaskConfig& t : tasks) t.validate();
}

GrpoRunResult run_grpo(const GrpoRunOptions& o, const text::Tokenizer& tokenizer,
                       const ProblemFormat& format) {
  o.validate();
  const fs::path out(o.out_dir), policy_dir = out / "policy", ckpt = out / "checkpoint";
  fs::create_directories(out);
  ParamStore policy = ParamStore::load(o.model_dir);
  // The frozen reference of the KL term: the starting checkpoint (DeepSeekMath §4.1.2).
  std::optional<ParamStore> reference;
  if (o.grpo.beta > 0.0) reference.emplace(ParamStore::load(o.model_dir));
  const ModelConfig& config = policy.config();
  const std::optional<int32_t> eos = tokenizer.eos_id() ? tokenizer.eos_id()
                                     : config.eos_token_id
                                         ? std::optional<int32_t>(int32_t(*config.eos_token_id))
                                         : std::nullopt;
  if (!eos) {
    fail(ErrorKind::kInvalidArgument,
         "grpo: no end-of-sequence id (tokenizer eos_token nor config.json eos_token_id)");
  }
  GrpoConfig grpo = o.grpo;
  if (grpo.norm_len == 0) grpo.norm_len = o.max_tokens;  // Dr. GRPO: the generation budget
  const int64_t rounds = grpo.dynamic_sampling ? o.max_rounds : 1;
  AdamW adamw(policy);

  std::ofstream csv(out / "grpo.csv", std::ios::trunc), eval_csv(out / "eval.csv", std::ios::trunc);
  if (!csv || !eval_csv) fail(ErrorKind::kIo, "cannot write grpo.csv / eval.csv in " + o.out_dir);
  write_step_header(csv);
  write_eval_header(eval_csv);

  GrpoRunResult result;
  std::vector<GrpoStepRow> rows;
  // Activation storage for P·G sequences of this step's longest prompt + completion, re-created
  // whenever that length changes. Measured (1 M-parameter model, P·G = 64, max_tokens 96, one
  // thread): re-creating costs 0.02-0.2 s a step, while one fixed shape for the longest possible
  // sequence (T = 115 instead of the steps' 69-82) made every forward/backward ~40% slower
  // (1.1-1.2 s against 0.64-0.84 s): attention and every matmul run over the padding too.
  std::unique_ptr<TrainModel> policy_model, reference_model;
  std::unique_ptr<Model> model;  // the inference copy of the policy the sampler runs
  bool line_open = false;        // a progress line awaits its newline
  const double start = now_seconds();
  double step_seconds_sum = 0.0;

  for (int64_t step = 0;; ++step) {
    // ---- weight sync: the policy's master weights → the inference Model ----
    const double t_sync = now_seconds();
    model.reset();  // unmap before the file is rewritten
    policy.save_checkpoint(policy_dir.string());
    model = std::make_unique<Model>(policy_dir.string());
    const double sync_seconds = now_seconds() - t_sync;

    const bool last = step == o.steps;
    if (o.eval_n > 0 && (step == 0 || last || (o.eval_every > 0 && step % o.eval_every == 0))) {
      for (const GrpoEvalPoint& p : evaluate(*model, tokenizer, format, o, step)) {
        write_eval_row(eval_csv, p);
        result.evals.push_back(p);
        if (o.progress) {
          std::fprintf(stderr,
                       "%seval at step %lld: %s held-out pass@1 %.4f (format %.3f, %.1f ids)\n",
                       line_open ? "\n" : "", static_cast<long long>(step), task_kind_name(p.task),
                       p.pass_at_1, p.format_rate, p.mean_length);
          line_open = false;
        }
      }
      eval_csv.flush();
    }
    if (last) break;

    // ---- rollouts: P problems × G samples; DAPO refills dropped groups ----
    const TaskConfig& task = o.tasks[size_t(step) % o.tasks.size()];
    GrpoStepRow row;
    row.step = step + 1;
    row.task = task.kind;
    row.sync_seconds = sync_seconds;
    std::vector<PolicySequence> sequences;
    int64_t generated = 0;
    double correct = 0.0, formatted = 0.0, reward = 0.0, length = 0.0;
    for (int64_t round = 0; round < rounds && row.groups < o.prompts; ++round) {
      const uint64_t draw = uint64_t(step * rounds + round);
      const std::vector<Problem> problems =
          generate_problems(task, Split::kTrain, o.seed, size_t(o.prompts), draw * o.prompts);
      RolloutOptions ro;
      ro.group_size = o.group;
      ro.max_new_tokens = o.max_tokens;
      ro.max_batch = o.max_batch;
      ro.sampling = SamplingParams{
          .temperature = o.temperature, .top_p = o.top_p, .seed = mix64(o.seed + mix64(draw + 1))};
      const RolloutResult r = rollout(*model, tokenizer, format, problems, ro);
      row.rollout_seconds += r.stats.seconds;
      generated += r.stats.generated_tokens;
      std::vector<float> rewards;
      for (const Completion& c : r.completions) {
        rewards.push_back(float(c.reward.total));
        correct += c.reward.correct;
        formatted += c.reward.format;
        reward += c.reward.total;
        length += double(c.length());
        ++row.completions;
      }
      const std::vector<uint8_t> keep = grpo.dynamic_sampling
                                            ? informative_groups(rewards, o.group)
                                            : std::vector<uint8_t>(size_t(o.prompts), 1);
      for (int64_t p = 0; p < o.prompts && row.groups < o.prompts; ++p) {
        if (!keep[size_t(p)]) continue;
        add_group(std::span(r.completions).subspan(size_t(p * o.group), size_t(o.group)),
                  o.old_logprobs, sequences);
        ++row.groups;
      }
    }
    const double n_done = double(row.completions);
    row.reward = reward / n_done;
    row.accuracy = correct / n_done;
    row.format_rate = formatted / n_done;
    row.mean_length = length / n_done;
    row.rollout_tokens_per_second =
        row.rollout_seconds > 0 ? double(generated) / row.rollout_seconds : 0.0;

    // ---- the update ----
    const double t_update = now_seconds();
    row.lr = o.cosine ? warmup_cosine_lr(step, o.steps, o.warmup_steps, o.adamw.lr, o.min_lr)
             : step < o.warmup_steps ? o.adamw.lr * double(step + 1) / double(o.warmup_steps)
                                     : o.adamw.lr;
    if (row.groups > 0) {
      // Dynamic sampling already dropped the uninformative groups: the loss keeps all of these.
      GrpoConfig loss_config = grpo;
      loss_config.dynamic_sampling = false;
      const PolicyBatch batch = make_policy_batch(sequences, *eos);
      const int64_t capacity = o.prompts * o.group;
      auto fit = [&](std::unique_ptr<TrainModel>& m, ParamStore& store) {
        if (!m || m->seq_len() != batch.seq_len) {
          m.reset();
          m = std::make_unique<TrainModel>(store, capacity, batch.seq_len);
        }
      };
      std::vector<float> ref_logprobs;
      if (reference) {
        fit(reference_model, *reference);
        ref_logprobs = reference_logprobs(*reference_model, batch);
      }
      fit(policy_model, policy);
      policy.zero_grads();
      const PolicyStep ps =
          policy_loss(*policy_model, batch, o.group, loss_config, ref_logprobs, o.loss, true);
      row.grad_norm = global_grad_norm(policy);
      AdamWOptions a = o.adamw;
      a.lr = row.lr;
      adamw.step(policy, a, clip_coefficient(row.grad_norm, o.max_grad_norm));
      if (o.gamma != 0.0) {
        for (const LayerLoad& load : policy_model->loads()) update_expert_bias(load, o.gamma);
      }
      row.loss = ps.losses.total;
      if (reference) row.kl = ps.grpo.mean_kl;
      row.ratio = ps.grpo.mean_ratio;
      row.clipped_tokens = ps.grpo.clipped_tokens;
      row.completion_tokens = ps.grpo.completion_tokens;
    } else {
      ++result.skipped_steps;
    }
    row.update_seconds = now_seconds() - t_update;
    row.step_seconds = row.sync_seconds + row.rollout_seconds + row.update_seconds;
    step_seconds_sum += row.step_seconds;
    result.mean_rollout_seconds += row.rollout_seconds;
    result.mean_update_seconds += row.update_seconds;
    result.mean_sync_seconds += row.sync_seconds;
    if (step == 0) result.first_reward = row.reward;
    result.last_reward = row.reward;
    write_step_row(csv, row);
    csv.flush();
    rows.push_back(row);
    if (o.progress) {
      const double elapsed = now_seconds() - start;
      const double eta = elapsed / double(step + 1) * double(o.steps - step - 1);
      std::fprintf(stderr,
                   "\rstep %lld/%lld %s  reward %.3f  acc %.3f  fmt %.3f  len %.1f  loss %+.4f  "
                   "%.2f s/step  ETA %.0fs   ",
                   static_cast<long long>(step + 1), static_cast<long long>(o.steps),
                   task_kind_name(task.kind), row.reward, row.accuracy, row.format_rate,
                   row.mean_length, row.loss, row.step_seconds, eta);
      line_open = true;
    }
    if (o.eval_every > 0 && (step + 1) % o.eval_every == 0)
      write_grpo_plots(rows, result.evals, o.out_dir);
  }
  if (line_open) std::fprintf(stderr, "\n");
  model.reset();
  write_grpo_plots(rows, result.evals, o.out_dir);
  policy.save_checkpoint(ckpt.string());
  copy_tokenizer_files(o.tokenizer_dir, ckpt);
  fs::remove_all(policy_dir);  // the working copy; checkpoint/ holds the same weights
  const double steps = double(o.steps);
  result.mean_step_seconds = step_seconds_sum / steps;
  result.mean_rollout_seconds /= steps;
  result.mean_update_seconds /= steps;
  result.mean_sync_seconds /= steps;
  return result;
}

}  // namespace fathom::rl
