// loss.png for `fathom train`: the curves of OUT/loss.csv (trainer.h) over steps — training
// total loss and main cross-entropy, and the held-out cross-entropy where it was evaluated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fathom {

// Reads `csv_path` (header with at least step, loss, main_ce, val_ce) and writes the plot to
// `png_path`. A step listed twice (a run resumed from an older checkpoint) keeps its last row.
// Throws Error(kCorruptFile) naming the file and line for a malformed CSV.
void write_loss_plot(const std::string& csv_path, const std::string& png_path);

// One run's loss.csv and its legend label.
struct LossRun {
  std::string label, csv_path;
};
// Column `column` (e.g. main_ce, val_ce) of several runs' loss.csv in one plot, each a trailing
// mean over `smooth` steps (runs with the same label share a colour and a legend row, e.g. seeds
// of one setting): runs compared on one axis (`fathom plot-loss`, e.g. --precision fp8
// against bf16). Throws Error for a missing file or column, a malformed CSV, no runs, smooth < 1.
void write_loss_comparison_plot(const std::vector<LossRun>& runs, const std::string& column,
                                int64_t smooth, const std::string& png_path);

}  // namespace fathom
