// CSV rows and plots of a GRPO run (grpo_report.h).
#include "rl/grpo_report.h"

#include <cmath>
#include <filesystem>
#include <map>

#include "rl/grpo_trainer.h"
#include "train/plot.h"
#include "train/png.h"

namespace fathom::rl {
namespace {

// Distinct colours for up to 8 series (matplotlib's tab10), then repeated.
uint32_t color(size_t i) {
  constexpr uint32_t kColors[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728,
                                  0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f};
  return kColors[i % 8];
}

}  // namespace

void write_step_header(std::ostream& out) {
  out << "step,task,lr,reward,accuracy,format_rate,mean_length,completions,groups,"
         "completion_tokens,kl,loss,grad_norm,ratio,clipped_tokens,rollout_tok_s,rollout_s,"
         "update_s,sync_s,step_s\n";
}

void write_step_row(std::ostream& out, const GrpoStepRow& r) {
  out << r.step << ',' << task_kind_name(r.task) << ',' << r.lr << ',' << r.reward << ','
      << r.accuracy << ',' << r.format_rate << ',' << r.mean_length << ',' << r.completions << ','
      << r.groups << ',' << r.completion_tokens << ',';
  if (r.kl >= 0) out << r.kl;
  // The ratio's distance from 1 is the point (engine vs trainer arithmetic): more digits.
  out << ',' << r.loss << ',' << r.grad_norm << ',';
  const std::streamsize precision = out.precision(10);
  out << r.ratio;
  out.precision(precision);
  out << ',' << r.clipped_tokens << ',' << r.rollout_tokens_per_second << ',' << r.rollout_seconds
      << ',' << r.update_seconds << ',' << r.sync_seconds << ',' << r.step_seconds << '\n';
}

void write_eval_header(std::ostream& out) {
  out << "step,task,pass@1,format_rate,mean_reward,mean_length\n";
}

void write_eval_row(std::ostream& out, const GrpoEvalPoint& p) {
  out << p.step << ',' << task_kind_name(p.task) << ',' << p.pass_at_1 << ',' << p.format_rate
      << ',' << p.mean_reward << ',' << p.mean_length << '\n';
}

void write_grpo_plots(const std::vector<GrpoStepRow>& rows, const std::vector<GrpoEvalPoint>& evals,
                      const std::string& out_dir) {
  namespace fs = std::filesystem;
  // The plot font has lowercase letters but no b, j, k, q or z: labels avoid them.
  if (!rows.empty()) {
    std::map<TaskKind, PlotSeries> accuracy;
    PlotSeries reward{"reward", color(0), {}, false, 2};
    PlotSeries format{"format rate", 0xb8b8b8, {}, false, 2};
    PlotSeries length{"mean completion length", color(0), {}, false, 2};
    for (const GrpoStepRow& r : rows) {
      const double x = double(r.step);
      reward.points.emplace_back(x, r.reward);
      format.points.emplace_back(x, r.format_rate);
      length.points.emplace_back(x, r.mean_length);
      auto [it, fresh] = accuracy.try_emplace(r.task);
      if (fresh) it->second.name = std::string("accuracy ") + task_kind_name(r.task);
      it->second.points.emplace_back(x, r.accuracy);
    }
    PlotSpec spec;
    spec.title = "fathom grpo: rollout rewards";
    spec.x_label = "step";
    spec.y_label = "mean per completion";
    spec.series = {format, reward};
    size_t i = 1;
    for (auto& [task, s] : accuracy) {
      s.color = color(i++);
      if (accuracy.size() == 1) s.name = "accuracy";
      spec.series.push_back(s);
    }
    write_png((fs::path(out_dir) / "rewards.png").string(), render_plot(spec));
    PlotSpec len;
    len.title = "fathom grpo: completion length";
    len.x_label = "step";
    len.y_label = "ids per completion";
    len.series = {length};
    write_png((fs::path(out_dir) / "length.png").string(), render_plot(len));
  }
  if (!evals.empty()) {
    std::map<TaskKind, PlotSeries> pass;
    for (const GrpoEvalPoint& p : evals) {
      auto [it, fresh] = pass.try_emplace(p.task);
      if (fresh) {
        it->second.name = task_kind_name(p.task);
        it->second.markers = true;
      }
      it->second.points.emplace_back(double(p.step), p.pass_at_1);
    }
    PlotSpec spec;
    spec.title = "fathom grpo: held-out greedy pass-at-1";
    spec.x_label = "step";
    spec.y_label = "pass-at-1";
    size_t i = 0;
    for (auto& [task, s] : pass) {
      s.color = color(i++);
      spec.series.push_back(s);
    }
    write_png((fs::path(out_dir) / "eval.png").string(), render_plot(spec));
  }
}

}  // namespace fathom::rl
