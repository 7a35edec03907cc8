// AdamW with decoupled weight decay (Loshchilov & Hutter 2019, torch.optim.AdamW arithmetic),
// global-norm gradient clipping, a warmup + cosine learning-rate schedule, and the DeepSeek-V3
// auxiliary-loss-free bias update. Moments and the update arithmetic are fp32, as torch.optim.AdamW
// computes them for fp32 parameters; the parameter is written from a double decay-and-subtract.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/params.h"
#include "train/train_model.h"

namespace fathom {

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;   // V3 report §4.2
  double beta2 = 0.95;  // V3 report §4.2
  double eps = 1e-8;
  double weight_decay = 0.1;  // V3 report §4.2; applied to Param::decay tensors only
};

// Throws Error(kInvalidArgument) naming the setting for what torch.optim.AdamW rejects (lr < 0,
// betas outside [0, 1), eps or weight_decay < 0, non-finite values) and also for eps = 0, which
// makes an element whose gradient has always been zero 0/0.
void validate(const AdamWOptions& options);
// The same for a positive, finite setting (clipping thresholds) and a non-negative one (loss
// weights, the bias update speed); `name` is how the message refers to it.
void require_positive(double value, const char* name);
void require_non_negative(double value, const char* name);

// Global L2 norm over every trainable gradient (tied tensors once), in double.
double global_grad_norm(const ParamStore& store);
// torch.nn.utils.clip_grad_norm_ / Megatron-LM: min(1, max_norm / (norm + 1e-6)).
double clip_coefficient(double norm, double max_norm);

class AdamW {
 public:
  explicit AdamW(const ParamStore& store);
  // p ← p·(1 − lr·wd·decay) − lr·m̂/(√v̂ + eps), m̂ = m/(1−β1^t), v̂ = v/(1−β2^t), with the
  // gradient multiplied by grad_scale (the clipping coefficient) first. Frozen params skipped.
  void step(ParamStore& store, const AdamWOptions& options, double grad_scale);
  int64_t steps() const { return step_; }

  // Optimizer state for resume: one float32 file per moment tensor plus the step count.
  void save(const std::string& dir, const ParamStore& store) const;
  void load(const std::string& dir, const ParamStore& store);

 private:
  int64_t step_ = 0;
  std::vector<std::vector<float>> m_, v_;  // parallel to store.all()
};

// Warmup + cosine decay (V3 report §4.2 uses warmup then cosine; this is the common form):
// lr(step) = peak · (step+1)/warmup for step < warmup, then
// min + (peak − min) · ½(1 + cos(π · progress)), progress over the remaining steps.
double warmup_cosine_lr(int64_t step, int64_t total_steps, int64_t warmup_steps, double peak,
                        double min_lr);

// Aux-loss-free balancing (V3 report §2.1.2): b_i ← b_i + γ · sign(mean_load − load_i),
// sign(0) = 0, from this step's routed loads (bias before the update). Returns the new bias in
// double (the value written; the Param holds its float rounding).
std::vector<double> update_expert_bias(const LayerLoad& load, double gamma);

}  // namespace fathom
