// fathom train: pretrain a DeepSeek-style model from a config.json on a token file, or fine-tune
// one from a checkpoint's weights (--init: e.g. a student on `fathom distill`'s examples).
#include <cstdio>

#include "command.h"
#include "train_options.h"
#include "core/error.h"
#include "train/bf16_unit_gemm.h"
#include "train/trainer.h"

namespace fathom::cli {

Command register_train(CLI::App& app) {
  auto o = std::make_shared<TrainRunOptions>();
  auto balance_count = std::make_shared<std::string>("topk");
  auto no_mtp_balance = std::make_shared<bool>(false);
  auto precision = std::make_shared<std::string>("fp32");
  CLI::App* sub = app.add_subcommand(
      "train", "Train a model from config.json on a token file; checkpoints in HF layout");
  CLI::Option* config = sub->add_option("--config", o->config_path,
                                        "config.json of the model to train from scratch (ignored "
                                        "with --resume once OUT/checkpoint exists)");
  CLI::Option* init = sub->add_option("--init", o->init_dir,
                                      "Start from this checkpoint's weights and config instead "
                                      "(fine-tuning; fresh optimizer state)");
  config->excludes(init);
  sub->add_option("--data", o->data_paths,
                  "Training token file (FTOK header + uint16/uint32 ids); several are read as one "
                  "(windows shuffled across them: per-task files mix)")
      ->required();
  sub->add_option("--val", o->val_paths,
                  "Held-out token file(s) (default: the tail of the --data files)");
  sub->add_option("--out", o->out_dir, "Output directory: loss.csv, loss.png (train/val loss "
                                       "plot, redrawn at each save), checkpoint/, optimizer/")
      ->required();
  sub->add_option("--steps", o->steps, "Total optimizer steps")->capture_default_str();
  sub->add_option("--batch", o->batch, "Sequences per step")->capture_default_str();
  sub->add_option("--seq-len", o->seq_len, "Training positions per sequence")->capture_default_str();
  sub->add_option("--lr", o->adamw.lr, "Peak learning rate")->capture_default_str();
  sub->add_option("--min-lr", o->min_lr, "Learning rate at the end of the cosine")->capture_default_str();
  sub->add_option("--warmup", o->warmup_steps, "Linear warmup steps")->capture_default_str();
  sub->add_option("--weight-decay", o->adamw.weight_decay, "AdamW decoupled weight decay")
      ->capture_default_str();
  sub->add_option("--max-grad-norm", o->max_grad_norm, "Global gradient-norm clip")->capture_default_str();
  sub->add_option("--lambda-mtp", o->loss.lambda_mtp, "MTP loss weight")->capture_default_str();
  sub->add_option("--alpha", o->loss.alpha, "Sequence-wise balance loss factor")->capture_default_str();
  sub->add_option("--gamma", o->gamma, "Aux-loss-free bias update speed (0: off)")->capture_default_str();
  sub->add_option("--eval-every", o->eval_every, "Held-out evaluation interval")->capture_default_str();
  sub->add_option("--save-every", o->save_every, "Checkpoint interval")->capture_default_str();
  sub->add_option("--seed", o->seed, "Initialisation and data-order seed")->capture_default_str();
  sub->add_option("--precision", *precision,
                  "GEMM inputs inside the blocks: fp32, bf16 (rounded, fp32 accumulation) or fp8 "
                  "(E4M3, 1x128 activation / 128x128 weight scales, fp32 promotion every 128 "
                  "products; DeepSeek-V3 report §3.3). bf16 and fp8 products run on AVX-512 BF16 "
                  "units where the CPU has them. lm_head and eh_proj run bf16 outside fp32 mode; "
                  "embedding, router, norms and the attention core stay fp32")
      ->capture_default_str();
  add_adamw_and_balance_options(sub, o->adamw, *balance_count, *no_mtp_balance);
  add_threads_option(sub);
  sub->add_flag("--resume", o->resume, "Continue from OUT/checkpoint and OUT/optimizer");
  return {sub, [o, balance_count, no_mtp_balance, precision] {
            if (o->config_path.empty() && o->init_dir.empty()) {
              fail(ErrorKind::kInvalidArgument,
                   "train: pass --config FILE (from scratch) or --init DIR (from a checkpoint)");
            }
            o->loss.balance_count = parse_balance_count(*balance_count);
            o->loss.mtp_balance = !*no_mtp_balance;
            o->precision = parse_gemm_precision(*precision);
            const TrainRunResult r = run_training(*o);
            // The GEMM-input activations are stored in fp32 in every mode; the fp8 figure is
            // what caching them as E4M3 codes + 1x128 scales would take (gemm_input_storage.h).
            const double mib = 1.0 / (1024.0 * 1024.0);
            const char* units = o->precision == GemmPrecision::kF32 ? ""
                                : train_ops::gemm_on_bf16_units_available()
                                    ? " on bf16 units"
                                    : " on fp32 units";
            std::printf("loss %.4f -> %.4f, val %.4f, %.0f tokens/s (%s GEMMs%s); stored GEMM "
                        "inputs %.1f MiB fp32, %.1f MiB as bf16, %.1f MiB as fp8\n",
                        r.first_loss, r.last_loss, r.last_val_loss, r.tokens_per_second,
                        gemm_precision_name(o->precision), units,
                        double(r.gemm_inputs.fp32_bytes()) * mib,
                        double(r.gemm_inputs.bf16_bytes()) * mib,
                        double(r.gemm_inputs.fp8_bytes()) * mib);
            return 0;
          }};
}

}  // namespace fathom::cli
