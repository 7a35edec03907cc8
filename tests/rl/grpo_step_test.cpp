// The GRPO update through the whole model (rl/grpo_step.h, label `train`): the padded batch's
// layout; the loss's gradient against central differences of the loss through every parameter
// (clip active on some tokens, KL to a reference, MTP and balance terms on); the policy's own
// old log-probs giving ratio 1; padding that changes nothing; and one optimizer step raising the
// log-probability of the rewarded completion and lowering the other's.
#include "rl/grpo_step.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "model/config.h"
#include "test_util.h"
#include "train/optimizer.h"

namespace fathom::rl {
namespace {

ParamStore tiny_store(uint64_t seed) {
  const std::string text =
      testing::read_file(testing::source_path("tests/golden_train/v3-tiny-train/config.json"));
  return ParamStore::init(parse_model_config(text, "config.json"), text, seed);
}

constexpr int32_t kEos = 1;

// Two prompts (of different lengths) with G = 2 completions each; completion lengths differ and
// two stop with eos.
std::vector<PolicySequence> two_groups() {
  std::vector<PolicySequence> s(4);
  s[0] = {{0, 5, 6}, {7, 8, kEos}, 1.0f, {}};
  s[1] = {{0, 5, 6}, {9, 10, 11, 12}, 0.0f, {}};
  s[2] = {{0, 20, 21, 22, 23}, {30, kEos}, 0.1f, {}};
  s[3] = {{0, 20, 21, 22, 23}, {31, 32, 33}, 1.1f, {}};
  return s;
}

// Σ_j log π(completion_j) of each sequence under `store`.
std::vector<double> sequence_logprobs(ParamStore& store, const std::vector<PolicySequence>& seqs) {
  const PolicyBatch b = make_policy_batch(seqs, kEos);
  TrainModel model(store, b.n_seq, b.seq_len);
  const std::vector<float> lp = reference_logprobs(model, b);
  std::vector<double> out(size_t(b.n_seq), 0.0);
  for (int64_t n = 0; n < b.n_seq; ++n) {
    for (int64_t j = 0; j < b.max_completion; ++j)
      out[size_t(n)] += lp[size_t(n * b.max_completion + j)];
  }
  return out;
}

TEST(GrpoStep, BatchLayout) {
  const PolicyBatch b = make_policy_batch(two_groups(), kEos);
  EXPECT_EQ(b.n_seq, 4);
  EXPECT_EQ(b.seq_len, 7);  // longest: 5 + 3 = 8 ids, 7 positions
  EXPECT_EQ(b.max_completion, 4);
  const std::vector<int32_t> row1 = {0, 5, 6, 9, 10, 11, 12, kEos};
  EXPECT_EQ(std::vector<int32_t>(b.ids.begin() + 8, b.ids.begin() + 16), row1);
  EXPECT_EQ(b.first_row, (std::vector<int64_t>{2, 7 + 2, 14 + 4, 21 + 4}));
  EXPECT_EQ(b.mask, (std::vector<int32_t>{1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0}));
  EXPECT_EQ(b.tokens[2], kEos);
  EXPECT_TRUE(b.old_logprobs.empty());
  EXPECT_EQ(make_policy_batch(two_groups(), kEos, 12).seq_len, 12);
  EXPECT_THROW(make_policy_batch(two_groups(), kEos, 6), Error);
  std::vector<PolicySequence> bad = two_groups();
  bad[1].prompt.clear();
  EXPECT_THROW(make_policy_batch(bad, kEos), Error);
  bad = two_groups();
  bad[0].old_logprobs = {0.0f, 0.0f, 0.0f};
  EXPECT_THROW(make_policy_batch(bad, kEos), Error);  // some with, some without
}

TEST(GrpoStep, GradientMatchesFiniteDifferencesThroughTheModel) {
  ParamStore policy = tiny_store(4), reference = tiny_store(5);
  std::vector<PolicySequence> seqs = two_groups();
  // Old log-probs away from the policy's own, so ratios are 1, 1.05, 0.95, 1.65 and 0.61: the
  // clip is active on some tokens, and no ratio sits near a clip edge (FD would straddle a kink).
  const std::vector<double> offsets = {0.0, 0.05, -0.05, 0.5, -0.5};
  {
    const PolicyBatch b = make_policy_batch(seqs, kEos);
    TrainModel m(policy, b.n_seq, b.seq_len);
    const std::vector<float> own = reference_logprobs(m, b);
    size_t k = 0;
    for (int64_t n = 0; n < b.n_seq; ++n) {
      for (size_t j = 0; j < seqs[size_t(n)].completion.size(); ++j) {
        seqs[size_t(n)].old_logprobs.push_back(
            float(own[size_t(n * b.max_completion) + j] - offsets[k++ % offsets.size()]));
      }
    }
  }
  const PolicyBatch b = make_policy_batch(seqs, kEos);
  TrainModel ref_model(reference, b.n_seq, b.seq_len);
  const std::vector<float> ref = reference_logprobs(ref_model, b);
  TrainModel model(policy, b.n_seq, b.seq_len);
  LossWeights w;  // MTP (λ 0.3) and balance on: the hook composes with them
  w.alpha = 0.01;
  for (GrpoVariant v : {GrpoVariant::kGrpo, GrpoVariant::kDrGrpo, GrpoVariant::kDapo}) {
    GrpoConfig config = GrpoConfig::preset(v);
    config.beta = 0.04;
    config.norm_len = 6;
    policy.zero_grads();
    const PolicyStep base = policy_loss(model, b, 2, config, ref, w, true);
    ASSERT_TRUE(std::isfinite(base.losses.total));
    EXPECT_GT(base.grpo.clipped_tokens, 0) << grpo_variant_name(v);
    EXPECT_GT(base.grpo.mean_kl, 0.0);
    int checked = 0;
    for (Param* p : policy.all()) {
      if (!p->trainable) continue;
      double norm = 0.0;
      for (float g : p->grad) norm += double(g) * g;
      norm = std::sqrt(norm);
      if (norm == 0.0) continue;  // an expert no token reached
      const std::vector<float> saved = p->value, grad = p->grad;
      // Smaller than the whole-model FD test's 1e-3: the MoE's top-k routing is piecewise
      // constant, and at 1e-3 a near-tied selection on some position (the eos padding repeats one
      // token) flips inside the step for several attention tensors here, making the loss jump.
      const double h = 1e-4;
      auto loss_at = [&](double step) {
        for (size_t i = 0; i < saved.size(); ++i)
          p->value[i] = saved[i] + float(step * grad[i] / norm);
        const double value = policy_loss(model, b, 2, config, ref, w, false).losses.total;
        p->value = saved;
        return value;
      };
      const double fd = (loss_at(h) - loss_at(-h)) / (2 * h);
      EXPECT_NEAR(fd, norm, 2e-2 * norm + 2e-3) << grpo_variant_name(v) << " " << p->name;
      ++checked;
    }
    EXPECT_GT(checked, 30);
  }
}

TEST(GrpoStep, OwnOldLogprobsGiveRatioOne) {
  ParamStore policy = tiny_store(6);
  const PolicyBatch b = make_policy_batch(two_groups(), kEos);
  TrainModel model(policy, b.n_seq, b.seq_len);
  GrpoConfig config = GrpoConfig::preset(GrpoVariant::kGrpo);
  config.beta = 0.0;
  const PolicyStep s = policy_loss(model, b, 2, config, {}, LossWeights{}, false);
  EXPECT_NEAR(s.grpo.mean_ratio, 1.0, 1e-6);
  EXPECT_EQ(s.grpo.clipped_tokens, 0);
  EXPECT_EQ(s.grpo.completion_tokens, 3 + 4 + 2 + 3);
}

TEST(GrpoStep, PaddingChangesNothing) {
  ParamStore policy = tiny_store(7);
  const std::vector<PolicySequence> seqs = two_groups();
  const GrpoConfig config = GrpoConfig::preset(GrpoVariant::kDapo);
  double loss[2];
  std::vector<float> grad[2];
  for (int k = 0; k < 2; ++k) {
    const PolicyBatch b = make_policy_batch(seqs, kEos, k == 0 ? 0 : 13);
    TrainModel model(policy, b.n_seq, b.seq_len);
    LossWeights w;
    w.lambda_mtp = 0.0;  // MTP rows reach into the padding (ids[i+2]): not part of the claim
    w.alpha = 0.0;       // the balance loss averages over every position, padding included
    policy.zero_grads();
    loss[k] = policy_loss(model, b, 2, config, {}, w, true).grpo.loss;
    grad[k] = policy.get("model.layers.0.self_attn.q_a_proj.weight").grad;
  }
  // The terms are advantages (order 1) times ratios that are 1 up to float rounding, and here they
  // nearly cancel (the loss is ~1e-8): compare on the scale of the terms, not of their sum.
  EXPECT_NEAR(loss[0], loss[1], 1e-6);
  for (size_t i = 0; i < grad[0].size(); ++i) {
    ASSERT_NEAR(grad[0][i], grad[1][i], 1e-5 + 1e-4 * std::fabs(grad[0][i])) << i;
  }
}

TEST(GrpoStep, OneStepRaisesTheRewardedCompletion) {
  ParamStore policy = tiny_store(8);
  const std::vector<PolicySequence> seqs = two_groups();
  const std::vector<double> before = sequence_logprobs(policy, seqs);
  const PolicyBatch b = make_policy_batch(seqs, kEos);
  TrainModel model(policy, b.n_seq, b.seq_len);
  LossWeights w;
  w.lambda_mtp = 0.0;
  GrpoConfig config = GrpoConfig::preset(GrpoVariant::kGrpo);
  config.beta = 0.0;  // no reference: the step follows the advantages alone
  policy.zero_grads();
  const PolicyStep s = policy_loss(model, b, 2, config, {}, w, true);
  // Within each group the better completion gets A > 0, the other A < 0.
  EXPECT_GT(s.grpo.advantages[0], 0.0);
  EXPECT_LT(s.grpo.advantages[1], 0.0);
  EXPECT_LT(s.grpo.advantages[2], 0.0);
  EXPECT_GT(s.grpo.advantages[3], 0.0);
  AdamW adamw(policy);
  AdamWOptions o;
  o.lr = 1e-3;
  o.weight_decay = 0.0;
  adamw.step(policy, o, clip_coefficient(global_grad_norm(policy), 1.0));
  const std::vector<double> after = sequence_logprobs(policy, seqs);
  for (size_t n = 0; n < 4; ++n) {
    std::printf("sequence %zu (A %+.3f): log-prob %.4f -> %.4f\n", n, s.grpo.advantages[n],
                before[n], after[n]);
  }
  EXPECT_GT(after[0], before[0]);
  EXPECT_LT(after[1], before[1]);
  EXPECT_LT(after[2], before[2]);
  EXPECT_GT(after[3], before[3]);
}

}  // namespace
}  // namespace fathom::rl
