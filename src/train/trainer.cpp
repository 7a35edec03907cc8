#include "train/trainer.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "train/plot_loss.h"
#include "train/token_dataset.h"

namespace fathom {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kNotFound, "cannot open " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double max_over_mean(const std::vector<LayerLoad>& loads) {
  double worst = 0.0;
  for (const LayerLoad& l : loads) {
    double sum = 0.0, max = 0.0;
    for (int64_t c : l.counts) {
      sum += double(c);
      max = std::max(max, double(c));
    }
    if (sum > 0) worst = std::max(worst, max / (sum / double(l.counts.size())));
  }
  return worst;
}

double evaluate(TrainModel& model, const WindowSampler& val, const TrainRunOptions& o) {
  // Mean main_ce over up to 8 batches of held-out windows, in file order.
  const int64_t T = o.seq_len, batches = std::min<int64_t>(8, val.size() / o.batch);
  if (batches == 0) return -1.0;
  double sum = 0.0;
  std::vector<int32_t> ids(size_t(o.batch * (T + 1)));
  for (int64_t k = 0; k < batches; ++k) {
    for (int64_t b = 0; b < o.batch; ++b) val.window(k * o.batch + b, &ids[size_t(b * (T + 1))]);
    sum += model.run(ids, o.batch, o.loss, false).main_ce;
  }
  return sum / double(batches);
}

}  // namespace

void validate(const TrainRunOptions& o) {
  validate(o.loss);
  validate(o.adamw);
  require_non_negative(o.min_lr, "min_lr");
  if (o.min_lr > o.adamw.lr) {
    fail(ErrorKind::kInvalidArgument, "min_lr = " + std::to_string(o.min_lr) +
                                          " exceeds the peak lr = " + std::to_string(o.adamw.lr));
  }
  require_non_negative(o.gamma, "gamma");
  require_positive(o.max_grad_norm, "max_grad_norm");
  if (o.steps < 1 || o.batch < 1 || o.seq_len < 2 || o.warmup_steps < 0) {
    fail(ErrorKind::kInvalidArgument,
         "steps " + std::to_string(o.steps) + ", batch " + std::to_string(o.batch) + ", seq_len " +
             std::to_string(o.seq_len) + ", warmup " + std::to_string(o.warmup_steps) +
             ": expected steps >= 1, batch >= 1, seq_len >= 2, warmup >= 0");
  }
}

TrainRunResult run_training(const TrainRunOptions& o) {
  validate(o);
  namespace fs = std::filesystem;
  const fs::path out(o.out_dir), ckpt = out / "checkpoint", opt_dir = out / "optimizer";
  fs::create_directories(out);
  int64_t start_step = 0;
  const bool resuming = o.resume && fs::exists(ckpt / "config.json");
  ParamStore store = [&] {
    if (resuming) return ParamStore::load(ckpt.string());
    if (!o.init_dir.empty()) return ParamStore::load(o.init_dir);
    const std::string text = read_text(o.config_path);
    return ParamStore::init(parse_model_config(text, o.config_path), text, o.seed);
  }();
  AdamW adamw(store);
  if (resuming) {
    adamw.load(opt_dir.string(), store);
    start_step = adamw.steps();
  }

  const std::vector<uint32_t> data = read_token_files(o.data_paths);
  std::vector<uint32_t> val_data;
  const int64_t windows = WindowSampler::window_count(int64_t(data.size()), o.seq_len);
  int64_t train_windows = windows, val_first = 0, val_windows = 0;
  if (!o.val_paths.empty()) {
    val_data = read_token_files(o.val_paths);
    val_windows = WindowSampler::window_count(int64_t(val_data.size()), o.seq_len);
  } else if (o.val_fraction > 0) {
    val_windows = std::max<int64_t>(1, int64_t(double(windows) * o.val_fraction));
    train_windows = windows - val_windows;  // held out: the tail of the file
    val_first = train_windows;
  }
  for (const auto& d : {std::cref(data), std::cref(val_data)}) {
    for (uint32_t id : d.get()) {
      if (int64_t(id) >= store.config().vocab_size) {
        fail(ErrorKind::kInvalidArgument, "token id " + std::to_string(id) + " in the data is outside "
                                          "the model's vocabulary of " + std::to_string(store.config().vocab_size));
      }
    }
  }
  WindowSampler train(data, o.seq_len, 0, train_windows, o.seed);
  train.skip(start_step * o.batch);
  std::unique_ptr<WindowSampler> val;
  if (val_windows > 0) {
    val = std::make_unique<WindowSampler>(val_data.empty() ? data : val_data, o.seq_len, val_first,
                                          val_windows, o.seed);
  }

  TrainModel model(store, o.batch, o.seq_len, o.precision);
  std::ofstream csv(out / "loss.csv", resuming ? std::ios::app : std::ios::trunc);
  if (!resuming) csv << "step,lr,loss,main_ce,mtp_ce,balance,grad_norm,max_over_mean_load,val_ce\n";
  TrainRunResult result;
  result.gemm_inputs = gemm_input_storage(store.config(), o.batch, o.seq_len);
  const auto t0 = std::chrono::steady_clock::now();
  double load_sum = 0.0;
  int64_t load_steps = 0;
  for (int64_t step = start_step; step < o.steps; ++step) {
    const std::vector<int32_t> ids = train.next_batch(o.batch);
    store.zero_grads();
    const StepLosses l = model.run(ids, o.batch, o.loss, true);
    const double norm = global_grad_norm(store);
    AdamWOptions a = o.adamw;
    a.lr = warmup_cosine_lr(step, o.steps, o.warmup_steps, o.adamw.lr, o.min_lr);
    adamw.step(store, a, clip_coefficient(norm, o.max_grad_norm));
    const auto loads = model.loads();
    const double balance_ratio = max_over_mean(loads);
    if (step >= start_step + (o.steps - start_step) / 2) {
      load_sum += balance_ratio;
      ++load_steps;
    }
    if (o.gamma != 0.0) {
      for (const LayerLoad& load : loads) update_expert_bias(load, o.gamma);
    }
    if (step == start_step) result.first_loss = l.total;
    result.last_loss = l.total;
    double val_ce = -1.0;
    const bool last = step + 1 == o.steps;
    if (val && (last || (o.eval_every > 0 && (step + 1) % o.eval_every == 0))) {
      val_ce = evaluate(model, *val, o);
      result.last_val_loss = val_ce;
    }
    csv << step + 1 << "," << a.lr << "," << l.total << "," << l.main_ce << ","
        << (l.mtp_ce ? std::to_string(*l.mtp_ce) : "") << "," << l.balance << "," << norm << ","
        << balance_ratio << "," << (val_ce >= 0 ? std::to_string(val_ce) : "") << "\n";
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double done = double(step + 1 - start_step);
    result.tokens_per_second = done * double(o.batch * o.seq_len) / seconds;
    if (o.progress) {
      const double eta = seconds / done * double(o.steps - step - 1);
      std::fprintf(stderr, "\rstep %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  ETA %.0fs   ",
                   static_cast<long long>(step + 1), static_cast<long long>(o.steps), l.total, a.lr,
                   result.tokens_per_second, eta);
      if (last) std::fprintf(stderr, "\n");
    }
    if (last || (o.save_every > 0 && (step + 1) % o.save_every == 0)) {
      csv.flush();
      write_loss_plot((out / "loss.csv").string(), (out / "loss.png").string());
      store.save_checkpoint(ckpt.string());
      adamw.save(opt_dir.string(), store);
    }
  }
  result.max_over_mean_load = load_steps ? load_sum / double(load_steps) : 0.0;
  return result;
}

}  // namespace fathom
