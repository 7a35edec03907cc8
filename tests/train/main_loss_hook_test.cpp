// TrainModel's main-loss hook (LossWeights::main_loss, label `unit`): a hook that computes next-
// token cross entropy itself gives the default's loss and every gradient bit for bit, so the hook
// replaces exactly the main cross entropy and nothing else (MTP, balance and the backward are
// shared); and the hook sees every training row in the documented order.
#include <gtest/gtest.h>

#include <random>

#include "model/config.h"
#include "test_util.h"
#include "train/ops.h"
#include "train/train_model.h"

namespace fathom {
namespace {

ParamStore tiny_store(uint64_t seed) {
  const std::string text =
      testing::read_file(testing::source_path("tests/golden_train/v3-tiny-train/config.json"));
  return ParamStore::init(parse_model_config(text, "config.json"), text, seed);
}

std::vector<int32_t> random_ids(int64_t n, uint64_t seed) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  std::mt19937 rng(static_cast<uint32_t>(seed));
  for (auto& id : ids) id = int32_t(2 + rng() % 126);
  return ids;
}

TEST(MainLossHook, CrossEntropyHookMatchesTheDefault) {
  const int64_t B = 3, T = 7;
  const std::vector<int32_t> ids = random_ids(B * (T + 1), 11);
  ParamStore store = tiny_store(2);
  TrainModel model(store, B, T);

  store.zero_grads();
  const StepLosses plain = model.run(ids, B, LossWeights{}, true);
  std::vector<std::vector<float>> plain_grads;
  for (const Param* p : store.all()) plain_grads.push_back(p->grad);

  std::vector<int32_t> targets;  // row b·T + i predicts ids[b, i + 1]
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t i = 0; i < T; ++i) targets.push_back(ids[size_t(b * (T + 1) + i + 1)]);
  }
  LossWeights hooked;
  int64_t seen_rows = 0;
  hooked.main_loss = [&](const float* logits, int64_t rows, int64_t vocab, float* dlogits) {
    seen_rows = rows;
    return train_ops::cross_entropy_forward_backward(logits, targets.data(), rows, vocab,
                                                     1.0f / float(rows), dlogits) /
           double(rows);
  };
  store.zero_grads();
  const StepLosses hook = model.run(ids, B, hooked, true);
  EXPECT_EQ(seen_rows, B * T);
  EXPECT_EQ(hook.main_ce, plain.main_ce);
  ASSERT_TRUE(hook.mtp_ce.has_value());
  EXPECT_EQ(*hook.mtp_ce, *plain.mtp_ce);
  EXPECT_EQ(hook.balance, plain.balance);
  EXPECT_EQ(hook.total, plain.total);
  size_t i = 0, nonzero = 0;
  for (const Param* p : store.all()) {
    ASSERT_EQ(p->grad.size(), plain_grads[i].size());
    for (size_t k = 0; k < p->grad.size(); ++k) {
      ASSERT_EQ(p->grad[k], plain_grads[i][k]) << p->name << " element " << k;
      nonzero += p->grad[k] != 0.0f;
    }
    ++i;
  }
  EXPECT_GT(nonzero, 1000u);
}

TEST(MainLossHook, ZeroHookLeavesOnlyMtpAndBalanceGradients) {
  // λ_MTP = 0 and α = 0 with a hook that returns no gradient: nothing reaches the parameters.
  const int64_t B = 2, T = 5;
  const std::vector<int32_t> ids = random_ids(B * (T + 1), 12);
  ParamStore store = tiny_store(3);
  TrainModel model(store, B, T);
  LossWeights w;
  w.lambda_mtp = 0.0;
  w.alpha = 0.0;
  w.main_loss = [](const float*, int64_t rows, int64_t vocab, float* dlogits) {
    std::fill(dlogits, dlogits + rows * vocab, 0.0f);
    return 42.0;
  };
  store.zero_grads();
  const StepLosses l = model.run(ids, B, w, true);
  EXPECT_EQ(l.main_ce, 42.0);
  EXPECT_EQ(l.total, 42.0);
  for (const Param* p : store.all()) {
    for (float g : p->grad) ASSERT_EQ(g, 0.0f) << p->name;
  }
}

}  // namespace
}  // namespace fathom
