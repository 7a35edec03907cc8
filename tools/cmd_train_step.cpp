// fathom train-step: one forward/backward/AdamW step on a checkpoint and a batch, with losses,
// gradients, the bias update and the updated parameters written in the training oracle's layout.
#include <cstdio>

#include "command.h"
#include "train_options.h"
#include "train/train_step.h"

namespace fathom::cli {

Command register_train_step(CLI::App& app) {
  struct Options {
    std::string model, batch, out;
    TrainStepOptions step;
    std::string balance_count = "topk";
    bool no_mtp_balance = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "train-step", "One training step: losses, gradients, bias update and AdamW step to files");
  sub->add_option("--model", opts->model, "Checkpoint directory (config.json + safetensors)")
      ->required();
  sub->add_option("--batch", opts->batch, "batch.txt: one line of T+1 token ids per sequence")
      ->required();
  sub->add_option("--out", opts->out, "Output directory")->required();
  sub->add_option("--lambda-mtp", opts->step.loss.lambda_mtp, "MTP loss weight")
      ->capture_default_str();
  sub->add_option("--alpha", opts->step.loss.alpha, "Sequence-wise balance loss factor")
      ->capture_default_str();
  sub->add_option("--gamma", opts->step.gamma, "Aux-loss-free bias update speed")
      ->capture_default_str();
  sub->add_option("--lr", opts->step.adamw.lr, "AdamW learning rate")->capture_default_str();
  sub->add_option("--weight-decay", opts->step.adamw.weight_decay, "AdamW decoupled weight decay")
      ->capture_default_str();
  sub->add_option("--max-grad-norm", opts->step.max_grad_norm, "Global gradient-norm clip")
      ->capture_default_str();
  sub->add_flag("--untie-mtp", opts->step.untie_mtp,
                "Train the MTP module's embed_tokens / shared_head.head as parameters of their own "
                "(default: tied to model.embed_tokens / lm_head, DeepSeek-V3 §2.2)");
  add_adamw_and_balance_options(sub, opts->step.adamw, opts->balance_count, opts->no_mtp_balance);
  add_threads_option(sub);
  return {sub, [opts] {
            opts->step.loss.balance_count = parse_balance_count(opts->balance_count);
            opts->step.loss.mtp_balance = !opts->no_mtp_balance;
            run_train_step(opts->model, opts->batch, opts->out, opts->step);
            std::fprintf(stderr, "wrote loss.json, grads/, adamw_step/, bias_update.json to %s\n",
                         opts->out.c_str());
            return 0;
          }};
}

}  // namespace fathom::cli
