// Training-loop evidence (label `train`): a tiny V3 model memorises one batch; the aux-loss-free
// bias update keeps expert loads balanced; checkpoints round-trip through the inference Model;
// token files round-trip and reject corruption.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.h"
#include "core/thread_pool.h"
#include "model/model.h"
#include "test_util.h"
#include "train/token_dataset.h"
#include "train/train_model.h"
#include "train/trainer.h"

namespace fathom {
namespace {

std::string tiny_config_path() {
  return testing::source_path("tests/golden_train/v3-tiny-train/config.json");
}

TEST(TrainingLoop, OverfitsOneBatch) {
  const std::string text = testing::read_file(tiny_config_path());
  ParamStore store = ParamStore::init(parse_model_config(text, "config.json"), text, 1);
  const int64_t B = 2, T = 16;
  std::vector<int32_t> ids(size_t(B * (T + 1)));
  std::mt19937 rng(5);
  for (auto& id : ids) id = int32_t(2 + rng() % 126);
  TrainModel model(store, B, T);
  AdamW adamw(store);
  AdamWOptions o;
  o.lr = 1e-2;
  o.weight_decay = 0.0;
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 150; ++step) {
    store.zero_grads();
    const StepLosses l = model.run(ids, B, LossWeights{}, true);
    if (step == 0) first = l.main_ce;
    last = l.main_ce;
    adamw.step(store, o, clip_coefficient(global_grad_norm(store), 1.0));
    for (const auto& load : model.loads()) update_expert_bias(load, 1e-3);
  }
  std::printf("overfit one batch: main_ce %.4f -> %.4f\n", first, last);
  EXPECT_GT(first, 4.0);  // ≈ ln 128 at init
  EXPECT_LT(last, 0.05);
}

// Random-token data file for the loop tests.
std::string write_random_data(const testing::TempDir& dir, int64_t n, uint64_t seed) {
  std::vector<uint32_t> ids(static_cast<size_t>(n));
  std::mt19937 rng(static_cast<uint32_t>(seed));
  for (auto& id : ids) id = 2 + rng() % 126;
  const std::string path = dir.file("data.bin");
  write_token_file(path, ids, 2);
  return path;
}

TEST(TrainingLoop, BiasUpdateKeepsLoadsBalanced) {
  testing::TempDir dir;
  TrainRunOptions o;
  o.config_path = tiny_config_path();
  o.data_paths = {write_random_data(dir, 200000, 3)};
  // 2048 tokens per step and DeepSeek-V3's order of learning rate (peak 2.2e-4, report §4.2).
  // At 512 tokens/step the sampling noise of the busiest of 8 experts over 3 layers alone is
  // ~1.2; at lr 3e-3 Adam moves the router logits by more per step than the bias steps can
  // follow, and max/mean stays at 1.3-1.5 for any gamma from 2e-3 to 3e-2 and up to 400 steps.
  o.steps = 100;
  o.batch = 64;
  o.seq_len = 32;
  o.eval_every = 0;
  o.save_every = 0;
  o.progress = false;
  o.adamw.lr = 3e-4;
  o.loss.alpha = 0.0;  // isolate the aux-loss-free mechanism
  o.gamma = 2e-3;
  // One thread: with hidden size 32 every op is a few microseconds, and a second thread only
  // adds barriers (4x slower when the machine is oversubscribed).
  const int saved_threads = num_threads();
  set_num_threads(1);
  o.out_dir = dir.file("on");
  const TrainRunResult on = run_training(o);
  o.gamma = 0.0;
  o.out_dir = dir.file("off");
  const TrainRunResult off = run_training(o);
  set_num_threads(saved_threads);
  std::printf("max/mean expert load over the last half: bias update on %.3f, off %.3f\n",
              on.max_over_mean_load, off.max_over_mean_load);
  // Measured: on 1.13, off 1.57 (data/init seeds 2, 3: on 1.12, 1.13; off 1.66, 1.40). The
  // issue's target is within 1.2; off, the excess over perfect balance is 2-5x larger.
  EXPECT_LT(on.max_over_mean_load, 1.2);
  EXPECT_GT(off.max_over_mean_load - 1.0, 2.0 * (on.max_over_mean_load - 1.0));
}

TEST(TrainingLoop, CheckpointRoundTripsThroughInferenceModel) {
  testing::TempDir dir;
  TrainRunOptions o;
  o.config_path = tiny_config_path();
  o.data_paths = {write_random_data(dir, 4000, 4)};
  o.steps = 3;
  o.batch = 2;
  o.seq_len = 12;
  o.progress = false;
  o.out_dir = dir.file("run");
  run_training(o);
  // The written checkpoint loads in the inference engine, and its logits equal the training
  // forward's on the same parameters.
  const std::string ckpt = dir.file("run/checkpoint");
  const Model inference(ckpt);
  ParamStore store = ParamStore::load(ckpt);
  TrainModel model(store, 1, 12);
  std::vector<int32_t> ids = {0, 5, 9, 17, 33, 2, 7, 100, 64, 3, 8, 11, 12};
  model.run(ids, 1, LossWeights{}, false);
  const std::vector<int32_t> inputs(ids.begin(), ids.end() - 1);
  const ForwardResult f = inference.forward(inputs);
  ASSERT_EQ(f.logits.size(), size_t(12 * 128));
  double worst = 0.0;
  for (size_t i = 0; i < f.logits.size(); ++i) {
    worst = std::max(worst, double(std::fabs(f.logits[i] - model.logits()[i])));
  }
  EXPECT_LT(worst, 2e-4);
  // Resume continues from the saved optimizer step.
  o.steps = 5;
  o.resume = true;
  run_training(o);
  EXPECT_EQ(testing::read_file(dir.file("run/optimizer/step.txt")), "5\n");
}

TEST(TrainingLoop, InitStartsFromACheckpointsWeights) {
  // `fathom train --init DIR` (fine-tuning, e.g. a distilled student): the run starts from the
  // checkpoint's weights, so its first loss is the checkpoint's loss on that batch — the last
  // loss of the run that wrote it when the data repeats one window — not a fresh init's ≈ ln 128.
  testing::TempDir dir;
  TrainRunOptions o;
  o.config_path = tiny_config_path();
  o.data_paths = {write_random_data(dir, 17, 6)};  // one window of 16 positions
  o.steps = 60;
  o.batch = 1;
  o.seq_len = 16;
  o.val_fraction = 0.0;
  o.eval_every = 0;
  o.save_every = 0;
  o.progress = false;
  o.adamw.lr = 1e-2;
  o.adamw.weight_decay = 0.0;
  o.out_dir = dir.file("base");
  const TrainRunResult base = run_training(o);
  TrainRunOptions f = o;
  f.config_path.clear();
  f.init_dir = dir.file("base/checkpoint");
  f.steps = 1;
  f.out_dir = dir.file("fine");
  const TrainRunResult fine = run_training(f);
  std::printf("fresh init %.4f, after 60 steps %.4f, --init's first loss %.4f\n", base.first_loss,
              base.last_loss, fine.first_loss);
  EXPECT_GT(base.first_loss, 4.0);
  EXPECT_LT(fine.first_loss, 0.5 * base.first_loss);
  // The last step's loss was taken before its own update: the checkpoint is one step further.
  EXPECT_LT(fine.first_loss, base.last_loss + 0.05);
  EXPECT_EQ(testing::read_file(dir.file("fine/checkpoint/config.json")),
            testing::read_file(dir.file("base/checkpoint/config.json")));
}

TEST(TokenDataset, RoundTripsAndRejectsCorruption) {
  testing::TempDir dir;
  const std::vector<uint32_t> ids = {0, 1, 65535, 7, 8, 9, 10};
  write_token_file(dir.file("a.bin"), ids, 2);
  EXPECT_EQ(read_token_file(dir.file("a.bin")), ids);
  write_token_file(dir.file("b.bin"), {70000, 1}, 4);
  EXPECT_EQ(read_token_file(dir.file("b.bin")), (std::vector<uint32_t>{70000, 1}));
  // Several files (of different widths) read as one, in order.
  EXPECT_EQ(read_token_files({dir.file("b.bin"), dir.file("a.bin")}),
            (std::vector<uint32_t>{70000, 1, 0, 1, 65535, 7, 8, 9, 10}));
  EXPECT_THROW(read_token_files({dir.file("a.bin"), dir.file("missing.bin")}), Error);
  EXPECT_THROW(write_token_file(dir.file("c.bin"), {70000}, 2), Error);
  std::string bytes = testing::read_file(dir.file("a.bin"));
  testing::write_file(dir.file("short.bin"), bytes.substr(0, bytes.size() - 1));
  EXPECT_THROW(read_token_file(dir.file("short.bin")), Error);
  testing::write_file(dir.file("magic.bin"), "XTOK" + bytes.substr(4));
  EXPECT_THROW(read_token_file(dir.file("magic.bin")), Error);
  // Windows of T+1 ids every T ids; every window visited once per epoch.
  WindowSampler s(ids, 2, 0, WindowSampler::window_count(7, 2), 1);
  EXPECT_EQ(s.size(), 3);
  std::vector<int32_t> batch = s.next_batch(3);
  std::vector<int32_t> firsts = {batch[0], batch[3], batch[6]};
  std::sort(firsts.begin(), firsts.end());
  EXPECT_EQ(firsts, (std::vector<int32_t>{0, 8, 65535}));
}

}  // namespace
}  // namespace fathom
