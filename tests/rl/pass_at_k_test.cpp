// pass@k (Chen et al. 2021) and the evaluation summary (label `unit`): the product form against
// the binomial definition, edge cases, and the counts a summary takes from completions.
#include "rl/pass_at_k.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "rl/evaluation.h"

namespace fathom::rl {
namespace {

double binomial(int64_t n, int64_t k) {
  if (k < 0 || k > n) return 0.0;
  double r = 1.0;
  for (int64_t i = 1; i <= k; ++i) r = r * double(n - k + i) / double(i);
  return r;
}

TEST(PassAtK, EqualsTheBinomialDefinition) {
  for (int64_t n = 1; n <= 20; ++n) {
    for (int64_t c = 0; c <= n; ++c) {
      for (int64_t k = 1; k <= n; ++k) {
        const double want = 1.0 - binomial(n - c, k) / binomial(n, k);
        EXPECT_NEAR(pass_at_k(n, c, k), want, 1e-12) << "n " << n << " c " << c << " k " << k;
      }
    }
  }
}

TEST(PassAtK, EdgeCases) {
  EXPECT_EQ(pass_at_k(10, 0, 5), 0.0);
  EXPECT_EQ(pass_at_k(10, 10, 1), 1.0);
  EXPECT_EQ(pass_at_k(10, 6, 5), 1.0);         // n − c < k: every 5 of 10 holds a correct one
  EXPECT_DOUBLE_EQ(pass_at_k(10, 3, 1), 0.3);  // pass@1 is the fraction correct
  EXPECT_DOUBLE_EQ(pass_at_k(4, 1, 4), 1.0);   // n = k: any correct
  EXPECT_DOUBLE_EQ(pass_at_k(4, 1, 2), 0.5);   // 1 − C(3,2)/C(4,2) = 1 − 3/6
  // Large n stays finite and exact enough where the binomials would overflow doubles.
  EXPECT_NEAR(pass_at_k(2000, 1, 1000), 0.5, 1e-12);
  EXPECT_THROW(pass_at_k(4, 1, 5), Error);
  EXPECT_THROW(pass_at_k(4, 5, 1), Error);
  EXPECT_THROW(pass_at_k(4, -1, 1), Error);
  EXPECT_THROW(pass_at_k(0, 0, 0), Error);
}

TEST(PassAtK, MeanOverProblems) {
  const std::vector<int64_t> correct = {0, 2, 4};
  EXPECT_DOUBLE_EQ(mean_pass_at_k(correct, 4, 1), (0.0 + 0.5 + 1.0) / 3);
  EXPECT_DOUBLE_EQ(mean_pass_at_k(correct, 4, 2), (0.0 + (1 - 1.0 / 6) + 1.0) / 3);
  EXPECT_EQ(mean_pass_at_k({}, 4, 2), 0.0);
}

TEST(Evaluation, PassKValues) {
  EXPECT_EQ(pass_k_values(1), (std::vector<int64_t>{1}));
  EXPECT_EQ(pass_k_values(2), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(pass_k_values(5), (std::vector<int64_t>{1, 2, 4, 5}));
  EXPECT_EQ(pass_k_values(8), (std::vector<int64_t>{1, 2, 4, 8}));
}

Completion made(bool correct, bool format, int64_t tokens, bool stopped) {
  Completion c;
  c.ids.assign(size_t(tokens + (stopped ? 1 : 0)), 7);
  c.finish_reason = stopped ? "stop" : "length";
  c.reward.correct = correct ? 1.0 : 0.0;
  c.reward.format = format ? 1.0 : 0.0;
  c.reward.total = c.reward.correct + 0.1 * c.reward.format;
  return c;
}

TEST(Evaluation, SummaryCountsCompletions) {
  // Two problems, two samples each: problem 0 has one correct sample, problem 1 none.
  const std::vector<Completion> completions = {
      made(true, true, 10, true), made(false, true, 20, true), made(false, false, 30, false),
      made(false, true, 40, true)};
  const EvalSummary s = summarize(completions, 2);
  EXPECT_EQ(s.problems, 2);
  EXPECT_EQ(s.samples, 2);
  EXPECT_EQ(s.correct, 1);
  ASSERT_EQ(s.pass_at.size(), 2u);
  EXPECT_EQ(s.pass_at[0].first, 1);
  EXPECT_DOUBLE_EQ(s.pass_at[0].second, 0.25);
  EXPECT_EQ(s.pass_at[1].first, 2);
  EXPECT_DOUBLE_EQ(s.pass_at[1].second, 0.5);
  EXPECT_DOUBLE_EQ(s.format_rate, 0.75);
  EXPECT_DOUBLE_EQ(s.mean_reward, (1.1 + 0.1 + 0.0 + 0.1) / 4);
  EXPECT_DOUBLE_EQ(s.mean_length, 25.0);  // end-of-sequence tokens not counted
  EXPECT_EQ(s.stopped, 3);
  EXPECT_EQ(s.truncated, 1);
  EXPECT_THROW(summarize(completions, 3), Error);
}

}  // namespace
}  // namespace fathom::rl
