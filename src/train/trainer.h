// The pretraining loop behind `fathom train`: batches from a token file, forward/backward,
// global-norm clipping, AdamW under a warmup + cosine schedule, the aux-loss-free bias update
// after every step, a live progress line, a loss CSV and its plot (loss.png), held-out
// evaluation, and checkpoints in the official HF layout (config.json + model.safetensors) with
// optimizer state for --resume.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/gemm_input_storage.h"
#include "train/gemm_precision.h"
#include "train/optimizer.h"
#include "train/train_model.h"

namespace fathom {

struct TrainRunOptions {
  std::string config_path;  // config.json of the model to train from scratch
  // Or a checkpoint (config.json + safetensors) whose weights to start from: fine-tuning, e.g. a
  // student on distilled examples. Fresh optimizer state; --resume still takes precedence.
  std::string init_dir;
  // Token files (token_dataset.h), read as one concatenation: windows are shuffled across all of
  // them, so per-task files mix. Held-out: the val files, else the last val_fraction of data.
  std::vector<std::string> data_paths;
  std::vector<std::string> val_paths;
  std::string out_dir;
  int64_t steps = 100;
  int64_t batch = 8;
  int64_t seq_len = 64;
  int64_t warmup_steps = 10;
  double min_lr = 1e-4;
  double max_grad_norm = 1.0;
  double gamma = 1e-3;        // bias update speed; 0 disables the aux-loss-free update
  double val_fraction = 0.05;
  int64_t eval_every = 50;
  int64_t save_every = 100;
  uint64_t seed = 1;
  bool resume = false;
  bool progress = true;       // the live progress line on stderr
  // GEMM inputs inside the blocks: fp32 (default), or bf16 / FP8 E4M3 mixed precision after
  // the DeepSeek-V3 report §3.3 (gemm_precision.h). Not saved: --resume may change it.
  GemmPrecision precision = GemmPrecision::kF32;
  LossWeights loss;
  AdamWOptions adamw;         // adamw.lr is the peak learning rate
};

struct TrainRunResult {
  double first_loss = 0.0, last_loss = 0.0, last_val_loss = -1.0;
  double tokens_per_second = 0.0;
  // max over MoE layers of max_i load_i / mean load, averaged over the last half of the steps
  double max_over_mean_load = 0.0;
  // The blocks' stored GEMM inputs for this model and batch, and what FP8 caching would take
  // (gemm_input_storage.h; they are kept in fp32 here).
  GemmInputStorage gemm_inputs;
};

// Throws Error(kInvalidArgument) naming the first bad setting.
void validate(const TrainRunOptions& options);
TrainRunResult run_training(const TrainRunOptions& options);

}  // namespace fathom
