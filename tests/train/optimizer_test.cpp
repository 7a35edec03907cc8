// AdamW against torch.optim.AdamW over several steps with non-default settings, and the
// validation of training options (label `train`). The one-step oracle cases cannot see the betas
// (bias correction cancels them on step 1), so they are checked here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "core/error.h"
#include "test_util.h"
#include "train/moe_train.h"
#include "train/optimizer.h"
#include "train/train_step.h"

namespace fathom {
namespace {

// Expected values from torch 2.x in float64:
//   torch.optim.AdamW([{"params": [w], "weight_decay": 0.05}, {"params": [b], "weight_decay": 0}],
//                     lr=2e-3, betas=(0.8, 0.99), eps=1e-3)
// three steps on the gradients below times the clip coefficients {1, 0.5, 0.8}. With betas
// (0.9, 0.95) instead the parameters end 4e-6 .. 3e-5 away; with beta2 0.95 alone 1e-6 .. 4e-6;
// with eps 1e-8 up to 6e-4. Float32 arithmetic ends within 5e-8 of these.
TEST(AdamW, MatchesTorchOverThreeStepsWithNonDefaultSettings) {
  const std::string text = testing::read_file(
      testing::source_path("tests/golden_train/v3-tiny-train/config.json"));
  ParamStore store = ParamStore::init(parse_model_config(text, "config.json"), text, 1);
  // The first elements of a decayed matrix and of an undecayed norm weight stand in for torch's
  // w [2, 3] and b [3]; every other gradient stays zero.
  Param& w = store.get("model.layers.0.self_attn.kv_b_proj.weight");
  Param& b = store.get("model.layers.0.input_layernorm.weight");
  ASSERT_TRUE(w.decay);
  ASSERT_FALSE(b.decay);
  const float w0[6] = {0.5f, -1.25f, 2.0f, 0.75f, -0.3f, 1.5f}, b0[3] = {1.0f, -0.5f, 0.25f};
  std::copy(w0, w0 + 6, w.value.begin());
  std::copy(b0, b0 + 3, b.value.begin());
  const float gw[3][6] = {{0.02f, -0.004f, 0.3f, -0.001f, 0.05f, -0.2f},
                          {-0.03f, 0.002f, 0.1f, 0.004f, -0.06f, -0.1f},
                          {0.01f, 0.001f, -0.2f, 0.002f, 0.01f, 0.05f}};
  const float gb[3][3] = {{0.002f, -0.5f, 0.0f}, {-0.004f, 0.2f, 0.001f}, {0.003f, 0.1f, -0.002f}};
  const double scale[3] = {1.0, 0.5, 0.8};
  AdamWOptions o;
  o.lr = 2e-3;
  o.beta1 = 0.8;
  o.beta2 = 0.99;
  o.eps = 1e-3;
  o.weight_decay = 0.05;
  AdamW adamw(store);
  for (int step = 0; step < 3; ++step) {
    store.zero_grads();
    std::copy(gw[step], gw[step] + 6, w.grad.begin());
    std::copy(gb[step], gb[step] + 3, b.grad.begin());
    adamw.step(store, o, scale[step]);
  }
  const double want_w[6] = {0.49743858061533031, -1.2471696127345138, 1.9956155812905985,
                            0.74944831931696454, -0.30250999235121107, 1.503994810984161};
  const double want_b[3] = {0.99827237053078777, -0.49663925916376434, 0.2500885516662516};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(w.value[size_t(i)], want_w[i], 3e-7) << "w[" << i << "]";
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(b.value[size_t(i)], want_b[i], 3e-7) << "b[" << i << "]";
  EXPECT_EQ(adamw.steps(), 3);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    return e.what();
  }
  return "(no error)";
}

TEST(AdamW, RejectsBadSettingsNamingThem) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto with = [](auto set) {
    AdamWOptions o;
    set(o);
    return [o] { validate(o); };
  };
  EXPECT_NO_THROW(validate(AdamWOptions{}));
  EXPECT_NE(error_of(with([](AdamWOptions& o) { o.beta1 = 1.0; })).find("beta1 = 1"),
            std::string::npos);
  EXPECT_NE(error_of(with([](AdamWOptions& o) { o.beta2 = -0.1; })).find("beta2 = -0.1"),
            std::string::npos);
  EXPECT_NE(error_of(with([](AdamWOptions& o) { o.eps = 0.0; })).find("eps = 0"),
            std::string::npos);
  EXPECT_NE(error_of(with([nan](AdamWOptions& o) { o.lr = nan; })).find("lr = nan"),
            std::string::npos);
  EXPECT_NE(error_of(with([](AdamWOptions& o) { o.weight_decay = -1; })).find("weight_decay"),
            std::string::npos);
  TrainStepOptions step;
  step.max_grad_norm = 0.0;
  EXPECT_NE(error_of([&] { validate(step); }).find("max_grad_norm = 0"), std::string::npos);
  step = {};
  step.loss.alpha = -1e-4;
  EXPECT_NE(error_of([&] { validate(step); }).find("alpha"), std::string::npos);
  EXPECT_EQ(parse_balance_count("routed"), BalanceCount::kRouted);
  EXPECT_NE(error_of([] { parse_balance_count("top-k"); }).find("'topk'"), std::string::npos);
}

}  // namespace
}  // namespace fathom
