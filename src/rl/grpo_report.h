// What `fathom grpo` writes about a run (grpo_trainer.h): the per-step CSV row, the evaluation
// CSV row, and the plots drawn from them with train/plot.h.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "rl/tasks.h"

namespace fathom::rl {

struct GrpoEvalPoint;

// One optimizer step (or one skipped: groups == 0).
struct GrpoStepRow {
  int64_t step = 0;  // 1-based: the row of the step's update
  TaskKind task = TaskKind::kArithmetic;
  double lr = 0.0;
  // Over every completion sampled this step (all DAPO rounds):
  double reward = 0.0, accuracy = 0.0, format_rate = 0.0, mean_length = 0.0;
  int64_t completions = 0;
  // Of the update (kept groups only):
  int64_t groups = 0;             // groups in the loss
  int64_t completion_tokens = 0;  // masked tokens in the loss
  double kl = -1.0;               // token-mean k3 KL to the reference; −1 when not computed
  double loss = 0.0, grad_norm = 0.0, ratio = 0.0;
  int64_t clipped_tokens = 0;
  double rollout_tokens_per_second = 0.0;
  double rollout_seconds = 0.0, update_seconds = 0.0, sync_seconds = 0.0, step_seconds = 0.0;
};

// grpo.csv: the header line and one row.
void write_step_header(std::ostream& out);
void write_step_row(std::ostream& out, const GrpoStepRow& row);
// eval.csv: the header line and one row.
void write_eval_header(std::ostream& out);
void write_eval_row(std::ostream& out, const GrpoEvalPoint& point);

// rewards.png (reward, accuracy and format rate vs step; accuracy per task for a mixture),
// length.png (mean completion length vs step) and, when there are evaluations, eval.png
// (held-out pass@1 vs step, one series per task), all in out_dir.
void write_grpo_plots(const std::vector<GrpoStepRow>& rows, const std::vector<GrpoEvalPoint>& evals,
                      const std::string& out_dir);

}  // namespace fathom::rl
