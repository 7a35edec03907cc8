// rl::grpo_loss on small random batches (label `train`): dlogits against central finite
// differences for every variant (with and without the KL term, with dynamic sampling), batches of
// groups against single groups, dynamic sampling, validation errors.
#include "rl/grpo_loss.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"

namespace fathom::rl {
namespace {

// A random batch whose logits are multiples of 1/64 (so x ± 2^-10 is exact in float32) and whose
// ratios stay ≥ 3 % away from every clip boundary (finite differences must not straddle a kink).
struct RandomBatch {
  int64_t groups, G, L, V;
  std::vector<float> logits, rewards, old_lp, ref_lp;
  std::vector<int32_t> tokens, mask;

  RandomBatch(int64_t groups_, int64_t G_, int64_t L_, int64_t V_, uint32_t seed)
      : groups(groups_), G(G_), L(L_), V(V_) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> logit(-192, 192), tok(0, int(V) - 1), len(1, int(L));
    std::uniform_real_distribution<double> noise(-0.45, 0.45);
    const int64_t n = groups * G;
    logits.resize(size_t(n * L * V));
    for (float& x : logits) x = float(logit(rng)) / 64.0f;
    tokens.resize(size_t(n * L));
    mask.resize(size_t(n * L));
    for (int64_t s = 0; s < n; ++s) {
      const int l = len(rng);
      for (int64_t t = 0; t < L; ++t) {
        mask[size_t(s * L + t)] = t < l ? 1 : 0;
        tokens[size_t(s * L + t)] = t < l ? tok(rng) : 0;
      }
    }
    std::vector<float> lp(tokens.size());
    sampled_token_logprobs(logits, tokens, mask, V, lp);
    old_lp.resize(lp.size());
    ref_lp.resize(lp.size());
    for (size_t i = 0; i < lp.size(); ++i) {
      if (!mask[i]) continue;
      for (;;) {
        const double d = noise(rng);
        const double ratio = std::exp(-d);  // exp(logp − old) with old = logp + d
        bool near = false;
        for (double bound : {0.8, 1.2, 1.28}) near |= std::fabs(ratio / bound - 1.0) < 0.03;
        if (near) continue;
        old_lp[i] = float(lp[i] + d);
        break;
      }
      ref_lp[i] = float(lp[i] + 1.5 * noise(rng));
    }
    rewards.resize(size_t(n));
    for (int64_t g = 0; g < groups; ++g) {
      for (int64_t i = 0; i < G; ++i) rewards[size_t(g * G + i)] = float((i * 7 + g) % 3) / 2.0f;
    }
  }

  GrpoBatch batch() const {
    GrpoBatch b;
    b.groups = groups;
    b.group_size = G;
    b.max_len = L;
    b.vocab = V;
    b.logits = logits;
    b.tokens = tokens;
    b.mask = mask;
    b.rewards = rewards;
    b.old_logprobs = old_lp;
    b.ref_logprobs = ref_lp;
    return b;
  }
};

std::vector<GrpoConfig> configs_to_check() {
  std::vector<GrpoConfig> out;
  for (GrpoVariant v : {GrpoVariant::kGrpo, GrpoVariant::kDrGrpo, GrpoVariant::kDapo}) {
    GrpoConfig c = GrpoConfig::preset(v);
    out.push_back(c);
    c.beta = 0.3;  // exercise the k3 KL gradient under every aggregation
    c.dynamic_sampling = true;
    out.push_back(c);
  }
  out.back().norm_len = 7;  // a budget other than the padded length
  return out;
}

TEST(GrpoLoss, DlogitsMatchFiniteDifferences) {
  RandomBatch rb(3, 4, 5, 6, 11);
  // The third group has equal rewards: dynamic sampling drops it, otherwise it adds A = 0 terms.
  for (int64_t i = 0; i < rb.G; ++i) rb.rewards[size_t(2 * rb.G + i)] = 1.0f;
  const float h = 1.0f / 1024.0f;
  for (const GrpoConfig& c : configs_to_check()) {
    SCOPED_TRACE(std::string(grpo_aggregation_name(c.aggregation)) + " beta " +
                 std::to_string(c.beta) + (c.dynamic_sampling ? " dynamic" : ""));
    std::vector<float> dl(rb.logits.size());
    const GrpoResult r = grpo_loss(rb.batch(), c, dl);
    EXPECT_TRUE(std::isfinite(r.loss));
    double nd = 0.0, ne = 0.0, worst = 0.0;
    for (size_t i = 0; i < rb.logits.size(); ++i) {
      const float x = rb.logits[i];
      rb.logits[i] = x + h;
      const double up = grpo_loss(rb.batch(), c, {}).loss;
      rb.logits[i] = x - h;
      const double down = grpo_loss(rb.batch(), c, {}).loss;
      rb.logits[i] = x;
      const double fd = (up - down) / (2.0 * double(h));
      const double err = std::fabs(fd - dl[i]);
      worst = std::max(worst, err);
      nd += err * err;
      ne += fd * fd;
      EXPECT_LE(err, 2e-6 + 1e-4 * std::fabs(fd)) << "element " << i;
    }
    EXPECT_GT(ne, 0.0);
    EXPECT_LE(std::sqrt(nd / ne), 1e-5);
    std::printf("%-24s beta %.2f dynamic %d: loss %+.6f, FD max |err| %.2e, rel %.2e\n",
                grpo_aggregation_name(c.aggregation), c.beta, int(c.dynamic_sampling), r.loss,
                worst, std::sqrt(nd / ne));
  }
}

// A batch of groups aggregates over all its sequences (GRPO, Dr. GRPO: mean of the per-group
// losses) or all its tokens (DAPO: token-weighted), with per-group advantages.
TEST(GrpoLoss, BatchOfGroupsCombinesSingleGroups) {
  const RandomBatch rb(2, 4, 6, 5, 5);
  const int64_t per_group = rb.G * rb.L * rb.V;
  for (GrpoVariant v : {GrpoVariant::kGrpo, GrpoVariant::kDrGrpo, GrpoVariant::kDapo}) {
    SCOPED_TRACE(grpo_variant_name(v));
    const GrpoConfig c = GrpoConfig::preset(v);
    std::vector<float> dl(rb.logits.size());
    const GrpoResult both = grpo_loss(rb.batch(), c, dl);
    double combined = 0.0;
    for (int64_t g = 0; g < 2; ++g) {
      GrpoBatch one = rb.batch();
      one.groups = 1;
      const auto seq = [&](auto span, int64_t per) {
        return span.subspan(size_t(g * per), size_t(per));
      };
      one.logits = seq(one.logits, per_group);
      one.tokens = seq(one.tokens, rb.G * rb.L);
      one.mask = seq(one.mask, rb.G * rb.L);
      one.rewards = seq(one.rewards, rb.G);
      one.old_logprobs = seq(one.old_logprobs, rb.G * rb.L);
      one.ref_logprobs = seq(one.ref_logprobs, rb.G * rb.L);
      std::vector<float> dl_one(static_cast<size_t>(per_group));
      const GrpoResult r = grpo_loss(one, c, dl_one);
      const double w = v == GrpoVariant::kDapo
                           ? double(r.completion_tokens) / double(both.completion_tokens)
                           : 0.5;
      combined += w * r.loss;
      for (int64_t k = 0; k < per_group; ++k) {
        ASSERT_NEAR(dl[size_t(g * per_group + k)], w * dl_one[size_t(k)], 1e-7);
      }
      for (int64_t i = 0; i < rb.G; ++i) {
        EXPECT_DOUBLE_EQ(both.advantages[size_t(g * rb.G + i)], r.advantages[size_t(i)]);
      }
    }
    EXPECT_NEAR(both.loss, combined, 1e-12);
  }
}

// DAPO dynamic sampling: a zero-variance group leaves the batch entirely.
TEST(GrpoLoss, DynamicSamplingDropsZeroVarianceGroups) {
  RandomBatch rb(2, 4, 6, 5, 9);
  for (int64_t i = 0; i < rb.G; ++i) rb.rewards[size_t(rb.G + i)] = 0.0f;  // group 1: all wrong
  GrpoBatch first = rb.batch();
  first.groups = 1;
  const size_t n1 = size_t(rb.G * rb.L);
  first.logits = first.logits.first(n1 * size_t(rb.V));
  first.tokens = first.tokens.first(n1);
  first.mask = first.mask.first(n1);
  first.rewards = first.rewards.first(size_t(rb.G));
  first.old_logprobs = first.old_logprobs.first(n1);
  first.ref_logprobs = first.ref_logprobs.first(n1);
  for (GrpoVariant v : {GrpoVariant::kGrpo, GrpoVariant::kDrGrpo, GrpoVariant::kDapo}) {
    SCOPED_TRACE(grpo_variant_name(v));
    GrpoConfig c = GrpoConfig::preset(v);
    c.dynamic_sampling = true;
    std::vector<float> dl(rb.logits.size()), dl1(n1 * size_t(rb.V));
    const GrpoResult r = grpo_loss(rb.batch(), c, dl);
    const GrpoResult r1 = grpo_loss(first, c, dl1);
    EXPECT_EQ(r.kept_groups, (std::vector<uint8_t>{1, 0}));
    EXPECT_EQ(r.loss, r1.loss);
    EXPECT_EQ(r.completion_tokens, r1.completion_tokens);
    for (size_t k = 0; k < dl.size(); ++k) ASSERT_EQ(dl[k], k < dl1.size() ? dl1[k] : 0.0f);
    c.dynamic_sampling = false;  // kept, the group dilutes the mean
    EXPECT_NE(grpo_loss(rb.batch(), c, {}).loss, r1.loss);
  }
  EXPECT_EQ(informative_groups(rb.rewards, rb.G), (std::vector<uint8_t>{1, 0}));
}

TEST(GrpoLoss, AdvantagesFollowTheOracle) {
  const std::vector<float> r = {1, 0, 0, 1, 0, 1};  // mean 0.5, sample std sqrt(0.3)
  const auto a = group_advantages(r, 6, true, 1e-4);
  EXPECT_NEAR(a[0], 0.5 / (std::sqrt(0.3) + 1e-4), 1e-15);
  EXPECT_NEAR(a[1], -0.5 / (std::sqrt(0.3) + 1e-4), 1e-15);
  const auto centred = group_advantages(r, 3, false, 1e-4);  // two groups of 3, no std
  EXPECT_NEAR(centred[0], 1.0 - 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(centred[3], 1.0 - 2.0 / 3.0, 1e-15);
  const auto flat = group_advantages(std::vector<float>{1, 1, 1}, 3, true, 1e-4);
  for (double x : flat) EXPECT_EQ(x, 0.0);
}

TEST(GrpoLoss, ResultDoesNotDependOnThreadCount) {
  const RandomBatch rb(4, 8, 64, 512, 3);  // 2^20 logits: ranges of 2 sequences
  const int saved = num_threads();
  std::vector<float> a(rb.logits.size()), b(rb.logits.size());
  set_num_threads(1);
  const double la = grpo_loss(rb.batch(), GrpoConfig::preset(GrpoVariant::kGrpo), a).loss;
  set_num_threads(std::max(2, saved));
  const double lb = grpo_loss(rb.batch(), GrpoConfig::preset(GrpoVariant::kGrpo), b).loss;
  set_num_threads(saved);
  EXPECT_EQ(la, lb);
  EXPECT_EQ(a, b);
}

TEST(GrpoLoss, EmptyCompletionContributesNothing) {
  RandomBatch rb(1, 3, 4, 5, 2);
  for (int64_t t = 0; t < rb.L; ++t) rb.mask[size_t(rb.L + t)] = 0;  // sequence 1 has no tokens
  std::vector<float> dl(rb.logits.size());
  const GrpoResult r = grpo_loss(rb.batch(), GrpoConfig::preset(GrpoVariant::kGrpo), dl);
  EXPECT_TRUE(std::isfinite(r.loss));
  for (int64_t k = rb.L * rb.V; k < 2 * rb.L * rb.V; ++k) EXPECT_EQ(dl[size_t(k)], 0.0f);
}

TEST(GrpoLoss, RejectsBadInput) {
  RandomBatch rb(1, 3, 4, 5, 1);
  const GrpoConfig c = GrpoConfig::preset(GrpoVariant::kGrpo);
  GrpoBatch b = rb.batch();
  b.rewards = b.rewards.first(2);
  EXPECT_THROW(grpo_loss(b, c, {}), Error);
  rb.tokens[0] = 5;  // == V, under the mask
  EXPECT_THROW(grpo_loss(rb.batch(), c, {}), Error);
  rb.tokens[0] = 0;
  rb.mask[0] = 2;
  EXPECT_THROW(grpo_loss(rb.batch(), c, {}), Error);
  rb.mask[0] = 1;
  GrpoBatch no_ref = rb.batch();
  no_ref.ref_logprobs = {};
  EXPECT_THROW(grpo_loss(no_ref, c, {}), Error);  // β ≠ 0 needs the reference
  EXPECT_NO_THROW(grpo_loss(no_ref, GrpoConfig::preset(GrpoVariant::kDapo), {}));
  std::vector<float> small(3);
  EXPECT_THROW(grpo_loss(rb.batch(), c, small), Error);
  EXPECT_THROW(group_advantages(std::vector<float>{1, 0}, 1, true, 1e-4), Error);
  EXPECT_THROW(parse_grpo_variant("ppo"), Error);
  EXPECT_EQ(parse_grpo_variant("drgrpo"), GrpoVariant::kDrGrpo);
}

}  // namespace
}  // namespace fathom::rl
