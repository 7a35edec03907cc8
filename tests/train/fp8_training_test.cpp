// Training with bf16 / FP8 GEMM inputs (label `unit`): bit-identical across thread counts like
// fp32, a short run learns in both modes with FP8 tracking bf16 (DeepSeek-V3 report §3.3 puts
// the FP8-vs-BF16 loss gap below 0.25% at scale), and the stored-activation accounting.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "core/thread_pool.h"
#include "model/config.h"
#include "test_util.h"
#include "train/gemm_input_storage.h"
#include "train/optimizer.h"
#include "train/train_model.h"

namespace fathom {
namespace {

// The tiny V3 config (MLA with q_lora, 1 dense + 2 MoE layers, MTP) widened to hidden 128 so
// that K dimensions hold full 128-wide tiles and 160+ rows cross every op's threading threshold.
std::string wide_tiny_config() {
  auto j = nlohmann::json::parse(testing::read_file(
      testing::source_path("tests/golden_train/v3-tiny-train/config.json")));
  j["hidden_size"] = 128;
  j["intermediate_size"] = 256;
  j["moe_intermediate_size"] = 64;
  return j.dump();
}

class PrecisionTraining : public ::testing::TestWithParam<GemmPrecision> {};

TEST_P(PrecisionTraining, StepDoesNotDependOnThreadCount) {
  const std::string text = wide_tiny_config();
  const ModelConfig c = parse_model_config(text, "config.json");
  const int64_t B = 4, T = 40;
  std::vector<int32_t> ids(size_t(B * (T + 1)));
  std::mt19937 rng(4);
  for (auto& id : ids) id = int32_t(rng() % uint32_t(c.vocab_size));
  LossWeights w;
  w.alpha = 0.1;
  const int saved_threads = num_threads();
  std::vector<std::vector<float>> grads[2];
  double totals[2] = {};
  for (int run = 0; run < 2; ++run) {
    set_num_threads(run == 0 ? 1 : 3);
    ParamStore store = ParamStore::init(c, text, 5);
    TrainModel model(store, B, T, GetParam());
    store.zero_grads();
    totals[run] = model.run(ids, B, w, true).total;
    for (const Param* p : store.all()) grads[run].push_back(p->grad);
  }
  set_num_threads(saved_threads);
  EXPECT_EQ(totals[0], totals[1]);
  ASSERT_EQ(grads[0].size(), grads[1].size());
  for (size_t i = 0; i < grads[0].size(); ++i) {
    EXPECT_EQ(grads[0][i], grads[1][i]) << "tensor " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Precisions, PrecisionTraining,
                         ::testing::Values(GemmPrecision::kF32, GemmPrecision::kBF16,
                                           GemmPrecision::kFP8),
                         [](const auto& p) { return std::string(gemm_precision_name(p.param)); });

// Sequences that count up by a per-sequence stride from a random start (mod 126, offset 2): a
// model must infer the stride in context, so the loss falls well below ln 126 but not to 0.
std::vector<int32_t> counting_batch(std::mt19937& rng, int64_t B, int64_t T) {
  std::vector<int32_t> ids(size_t(B * (T + 1)));
  for (int64_t b = 0; b < B; ++b) {
    const uint32_t start = rng() % 126, stride = 1 + rng() % 3;
    for (int64_t t = 0; t <= T; ++t) {
      ids[size_t(b * (T + 1) + t)] = int32_t(2 + (start + stride * uint32_t(t)) % 126);
    }
  }
  return ids;
}

struct RunLosses {
  double first = 0.0, mean = 0.0, last10 = 0.0;  // main_ce: step 1, all steps, last 10 steps
};

RunLosses train_counting(GemmPrecision precision, int steps) {
  const std::string text = wide_tiny_config();
  ParamStore store = ParamStore::init(parse_model_config(text, "config.json"), text, 7);
  const int64_t B = 4, T = 32;
  TrainModel model(store, B, T, precision);
  AdamW adamw(store);
  AdamWOptions o;
  o.lr = 3e-3;
  std::mt19937 rng(11);  // same batches in every mode
  RunLosses r;
  for (int step = 0; step < steps; ++step) {
    store.zero_grads();
    const StepLosses l = model.run(counting_batch(rng, B, T), B, LossWeights{}, true);
    if (step == 0) r.first = l.main_ce;
    r.mean += l.main_ce / double(steps);
    if (step >= steps - 10) r.last10 += l.main_ce / 10.0;
    adamw.step(store, o, clip_coefficient(global_grad_norm(store), 1.0));
    for (const auto& load : model.loads()) update_expert_bias(load, 1e-3);
  }
  return r;
}

TEST(PrecisionTraining, Fp8TracksBf16) {
  // Measured (40 steps, this config, seed 7; first / mean / last-10 main_ce): bf16 5.4050 /
  // 2.0815 / 0.8600, fp8 5.4003 / 2.0432 / 0.8032: fp8 vs bf16 -1.8% on the mean, -6.6% on the
  // last 10 (fp8 happened to end lower; the sign is noise).
  // At this scale single steps differ by a few percent between ANY two precisions (fp32 vs
  // bf16 included: the runs diverge chaotically), so the bar is on the mean over the run.
  constexpr int kSteps = 40;
  const RunLosses bf16 = train_counting(GemmPrecision::kBF16, kSteps);
  const RunLosses fp8 = train_counting(GemmPrecision::kFP8, kSteps);
  std::printf("main_ce over %d steps (first / mean / last 10): bf16 %.4f / %.4f / %.4f, "
              "fp8 %.4f / %.4f / %.4f; fp8 vs bf16: mean %+.2f%%, last 10 %+.2f%%\n",
              kSteps, bf16.first, bf16.mean, bf16.last10, fp8.first, fp8.mean, fp8.last10,
              100.0 * (fp8.mean / bf16.mean - 1.0), 100.0 * (fp8.last10 / bf16.last10 - 1.0));
  EXPECT_LT(bf16.last10, 0.75 * bf16.first);
  EXPECT_LT(fp8.last10, 0.75 * fp8.first);
  EXPECT_NEAR(fp8.mean / bf16.mean, 1.0, 0.03);
}

TEST(GemmInputStorage, CountsTheStoredActivations) {
  const ModelConfig c = parse_model_config(wide_tiny_config(), "config.json");
  const int64_t B = 2, T = 10, n = B * T, nm = B * (T - 1);
  // hidden 128, q_lora 24, kv_lora 16, 2 heads x v 12, dense 256, K = 2 of 8 experts x 64,
  // 1 shared expert x 64; layer 0 dense, layers 1-2 and the MTP layer MoE.
  auto attention = [](int64_t r) { return r * (128 + 24 + 16 + 24); };
  auto moe = [](int64_t r) { return 2 * r * (128 + 64) + r * 64; };
  const int64_t elements =
      attention(n) + n * (128 + 256) + 2 * (attention(n) + moe(n)) + attention(nm) + moe(nm);
  // one scale per row per started 128 columns: a width of 256 has two, every other width one
  auto tiles = [](int64_t r) { return 4 * r; };  // x, q_a_n, c_n, o: one each
  const int64_t scales = tiles(n) + n * (1 + 2) + 2 * (tiles(n) + 2 * n * 2 + n) + tiles(nm) +
                         2 * nm * 2 + nm;
  const GemmInputStorage s = gemm_input_storage(c, B, T);
  EXPECT_EQ(s.elements, elements);
  EXPECT_EQ(s.fp8_scales, scales);
  EXPECT_EQ(s.fp32_bytes(), 4 * elements);
  EXPECT_EQ(s.bf16_bytes(), 2 * elements);
  EXPECT_EQ(s.fp8_bytes(), elements + 4 * scales);
}

}  // namespace
}  // namespace fathom
