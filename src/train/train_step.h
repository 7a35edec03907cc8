// One training step on a checkpoint and a batch, with every intermediate result written in the
// training oracle's layout (../shared/oracle README "Training cases"): the `fathom train-step`
// command, and the thing the golden training tests compare.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/optimizer.h"
#include "train/train_model.h"

namespace fathom {

struct TrainStepOptions {
  LossWeights loss;
  double gamma = 1e-3;  // bias update speed (V3 report §4.2)
  AdamWOptions adamw;
  double max_grad_norm = 1.0;
  // The MTP module's embedding and head as parameters of their own (the oracle's --untie-mtp)
  // rather than the main model's (V3 §2.2, the default).
  bool untie_mtp = false;
};
// Throws Error(kInvalidArgument) naming the first bad setting.
void validate(const TrainStepOptions& options);

// batch.txt: one line per sequence of T+1 whitespace-separated ids, all lines equally long.
// Returns the ids row-major and sets n_seq / seq_len (T). Throws Error naming the line.
std::vector<int32_t> read_batch_file(const std::string& path, int64_t& n_seq, int64_t& seq_len);

// Writes OUT/loss.json (main_ce, mtp_ce, balance, total, grad_norm, clip_coef, ...),
// OUT/grads/NAME.f32 for every trainable tensor (tied MTP copies excluded, as the oracle; with
// untie_mtp they are tensors of their own),
// OUT/adamw_step/NAME.f32 for every tensor after one clipped AdamW step, and
// OUT/bias_update.json (loads, signs and new bias of every MoE layer).
void run_train_step(const std::string& model_dir, const std::string& batch_file,
                    const std::string& out_dir, const TrainStepOptions& options);

}  // namespace fathom
