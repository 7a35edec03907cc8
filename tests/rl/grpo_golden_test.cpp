// Golden GRPO cases (label `golden`): rl::grpo_loss against ../shared/oracle/make_grpo_case.py for
// every variant it writes (grpo, drgrpo, dapo), on the committed cases in tests/golden_grpo
// (regenerate with scripts/make_golden_grpo.sh). Acceptance, from the oracle's README and
// compare_grads.py: loss |a − e| ≤ atol + rtol·|e| with losses.json's "tolerance" (1e-6, 1e-5);
// dlogits ‖a − e‖₂/‖e‖₂ ≤ 1e-4 per tensor (tighter than compare_grads.py's 1e-3: the oracle's
// float32 study puts a correct fp32 evaluation at ≤ 1.5e-7, and every injected convention error
// but "no eps in the advantage" moves it by ≥ 1.1e-2); advantages within 1e-12 relative (the
// only check that sees a missing adv_eps); clip and token counts exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rl/grpo_loss.h"
#include "test_util.h"

namespace fathom::rl {
namespace {

constexpr double kDlogitsRtol = 1e-4;
constexpr const char* kCases[] = {"default", "g8-l16-v13", "beta0.1-adveps1e-6"};
constexpr const char* kVariants[] = {"grpo", "drgrpo", "dapo"};

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(testing::read_file(path));
}

std::vector<int32_t> read_i32(const std::string& path) {
  const std::string bytes = testing::read_file(path);
  std::vector<int32_t> out(bytes.size() / sizeof(int32_t));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(int32_t));
  return out;
}

double rel_l2(const std::vector<float>& a, const std::vector<float>& e) {
  double nd = 0.0, ne = 0.0;
  for (size_t i = 0; i < e.size(); ++i) {
    nd += (double(a[i]) - e[i]) * (double(a[i]) - e[i]);
    ne += double(e[i]) * e[i];
  }
  return std::sqrt(nd / ne);
}

// One oracle case in memory.
struct Case {
  std::string dir;
  nlohmann::json inputs, losses;
  int64_t G, L, V;
  std::vector<float> logits, rewards, old_lp, ref_lp, logprobs;
  std::vector<int32_t> tokens, mask;

  explicit Case(const std::string& name)
      : dir(testing::source_path("tests/golden_grpo/" + name + "/oracle_grpo")),
        inputs(read_json(dir + "/inputs.json")),
        losses(read_json(dir + "/losses.json")),
        G(inputs["G"].get<int64_t>()),
        L(inputs["L"].get<int64_t>()),
        V(inputs["V"].get<int64_t>()),
        logits(testing::read_f32(dir + "/logits.f32")),
        rewards(testing::read_f32(dir + "/rewards.f32")),
        old_lp(testing::read_f32(dir + "/old_logprobs.f32")),
        ref_lp(testing::read_f32(dir + "/ref_logprobs.f32")),
        logprobs(testing::read_f32(dir + "/logprobs.f32")),
        tokens(read_i32(dir + "/tokens.i32")),
        mask(read_i32(dir + "/mask.i32")) {}

  GrpoBatch batch() const {
    GrpoBatch b;
    b.groups = 1;
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

  // The variant's preset, checked against VARIANT.json, with the case's --beta / --adv-eps.
  GrpoConfig config(const std::string& variant) const {
    const auto j = read_json(dir + "/" + variant + ".json");
    GrpoConfig c = GrpoConfig::preset(parse_grpo_variant(variant));
    EXPECT_EQ(c.std_normalize, j["std_normalize"].get<bool>()) << variant;
    EXPECT_EQ(c.eps_low, j["eps_low"].get<double>()) << variant;
    EXPECT_EQ(c.eps_high, j["eps_high"].get<double>()) << variant;
    EXPECT_EQ(grpo_aggregation_name(c.aggregation), j["aggregation"].get<std::string>()) << variant;
    if (variant != "grpo") {
      EXPECT_EQ(c.beta, j["beta"].get<double>()) << variant;
    }
    c.beta = j["beta"].get<double>();
    if (c.std_normalize) c.adv_eps = j["adv_eps"].get<double>();
    if (!j["max_len"].is_null()) c.norm_len = j["max_len"].get<int64_t>();
    return c;
  }
};

class GrpoGoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GrpoGoldenTest, EveryVariantMatchesOracle) {
  const Case c(GetParam());
  const double atol = c.losses["tolerance"]["atol"].get<double>();
  const double rtol = c.losses["tolerance"]["rtol"].get<double>();
  for (const std::string variant : kVariants) {
    SCOPED_TRACE(std::string(GetParam()) + " / " + variant);
    const auto expected = read_json(c.dir + "/" + variant + ".json");
    std::vector<float> dlogits(c.logits.size());
    const GrpoResult r = grpo_loss(c.batch(), c.config(variant), dlogits);

    const double e_loss = c.losses[variant].get<double>();
    EXPECT_EQ(e_loss, expected["loss"].get<double>());
    EXPECT_LE(std::fabs(r.loss - e_loss), atol + rtol * std::fabs(e_loss))
        << "loss " << r.loss << " expected " << e_loss;

    const auto e_adv = expected["advantages"].get<std::vector<double>>();
    ASSERT_EQ(r.advantages.size(), e_adv.size());
    for (size_t i = 0; i < e_adv.size(); ++i) {
      EXPECT_NEAR(r.advantages[i], e_adv[i], 1e-12 * std::max(1.0, std::fabs(e_adv[i])));
    }
    EXPECT_EQ(r.clipped_tokens, expected["clipped_tokens"].get<int64_t>());
    EXPECT_EQ(r.completion_tokens, expected["completion_tokens"].get<int64_t>());

    const auto e_dl = testing::read_f32(c.dir + "/" + variant + ".dlogits.f32");
    ASSERT_EQ(e_dl.size(), dlogits.size());
    const double rel = rel_l2(dlogits, e_dl);
    EXPECT_LE(rel, kDlogitsRtol);
    for (size_t i = 0; i < c.mask.size(); ++i) {  // padding: exactly zero
      if (c.mask[i]) continue;
      for (int64_t v = 0; v < c.V; ++v) ASSERT_EQ(dlogits[i * size_t(c.V) + size_t(v)], 0.0f);
    }
    std::printf("%s %s: loss %.17g (oracle %.17g, rel %.2e), dlogits rel %.2e\n", GetParam(),
                variant.c_str(), r.loss, e_loss, std::fabs(r.loss - e_loss) / std::fabs(e_loss),
                rel);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GrpoGoldenTest, ::testing::ValuesIn(kCases),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           for (char& ch : n) ch = std::isalnum(uint8_t(ch)) ? ch : '_';
                           return n;
                         });

// The comparison must be able to fail: conventions the oracle's README lists as plausible
// mistakes move dlogits far beyond the tolerance.
TEST(GrpoGoldenCompare, DetectsConventionErrors) {
  const Case c("default");
  const auto e_grpo = testing::read_f32(c.dir + "/grpo.dlogits.f32");
  std::vector<float> dl(c.logits.size());

  GrpoConfig token_mean = c.config("grpo");  // GRPO with DAPO's token mean
  token_mean.aggregation = GrpoAggregation::kTokenMean;
  grpo_loss(c.batch(), token_mean, dl);
  EXPECT_GT(rel_l2(dl, e_grpo), 1e-2);

  GrpoConfig no_kl = c.config("grpo");
  no_kl.beta = 0.0;
  grpo_loss(c.batch(), no_kl, dl);
  EXPECT_GT(rel_l2(dl, e_grpo), 1e-2);

  const auto e_dapo = testing::read_f32(c.dir + "/dapo.dlogits.f32");
  GrpoConfig no_clip_higher = c.config("dapo");
  no_clip_higher.eps_high = 0.2;
  grpo_loss(c.batch(), no_clip_higher, dl);
  EXPECT_GT(rel_l2(dl, e_dapo), 1e-2);

  const auto e_dr = testing::read_f32(c.dir + "/drgrpo.dlogits.f32");
  GrpoConfig longest = c.config("drgrpo");  // normalise by the longest completion, not the budget
  longest.norm_len = 10;
  grpo_loss(c.batch(), longest, dl);
  EXPECT_GT(rel_l2(dl, e_dr), 1e-2);
}

// The per-token log-probs (the oracle's debugging tap, logprobs.f32; 0 on padding).
TEST(GrpoGoldenCompare, LogprobsMatchOracleTap) {
  const Case c("default");
  std::vector<float> lp(c.mask.size());
  sampled_token_logprobs(c.logits, c.tokens, c.mask, c.V, lp);
  for (size_t i = 0; i < lp.size(); ++i) EXPECT_NEAR(lp[i], c.logprobs[i], 1e-6) << i;
}

}  // namespace
}  // namespace fathom::rl
