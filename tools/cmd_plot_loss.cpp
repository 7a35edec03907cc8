// fathom plot-loss: one column of several `fathom train` runs' loss.csv in one PNG, smoothed, so
// runs can be compared by eye (e.g. --precision fp8 against bf16: scripts/fp8_vs_bf16.sh).
#include <cstdio>

#include "command.h"
#include "core/error.h"
#include "train/plot_loss.h"

namespace fathom::cli {

Command register_plot_loss(CLI::App& app) {
  struct Options {
    std::vector<std::string> runs;
    std::string out, column = "main_ce";
    int64_t smooth = 20;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "plot-loss", "Plot one loss.csv column of several training runs in one PNG");
  sub->add_option("runs", o->runs, "LABEL=PATH/loss.csv, one per run (legend label, CSV)")
      ->required();
  sub->add_option("--out", o->out, "PNG to write")->required();
  sub->add_option("--column", o->column, "loss.csv column: loss, main_ce, mtp_ce, val_ce, ...")
      ->capture_default_str();
  sub->add_option("--smooth", o->smooth, "Trailing mean over this many steps (1: raw)")
      ->capture_default_str();
  return {sub, [o] {
            std::vector<LossRun> runs;
            for (const std::string& r : o->runs) {
              const size_t eq = r.find('=');
              if (eq == std::string::npos || eq == 0 || eq + 1 == r.size()) {
                fail(ErrorKind::kInvalidArgument,
                     "plot-loss: \"" + r + "\" is not LABEL=PATH (e.g. fp8=out/fp8/loss.csv)");
              }
              runs.push_back({r.substr(0, eq), r.substr(eq + 1)});
            }
            write_loss_comparison_plot(runs, o->column, o->smooth, o->out);
            std::fprintf(stderr, "wrote %s\n", o->out.c_str());
            return 0;
          }};
}

}  // namespace fathom::cli
