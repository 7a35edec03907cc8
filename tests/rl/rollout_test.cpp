// Rollouts and problem formats (label `unit`), on the random-weight golden v3 checkpoint with the
// golden 512-token tokenizer: the model scores ~0, so these check the plumbing — prompts, counts,
// log-probs against a whole-sequence forward, greedy against the single-sequence Generator,
// rewards against the verifier, and determinism over seeds, thread counts and batch sizes.
#include "rl/rollout.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/thread_pool.h"
#include "engine/generator.h"
#include "rl/problem_format.h"
#include "test_util.h"
#include "text/bpe_trainer.h"

namespace fathom::rl {
namespace {

Problem problem_with(std::string question, std::string solution) {
  Problem p;
  p.question = std::move(question);
  p.solution = std::move(solution);
  return p;
}

// ---- problem formats -------------------------------------------------------------------------

TEST(ProblemFormat, LiteralIsDeepSeekV3sTemplate) {
  const ProblemFormat literal;
  const ProblemFormat jinja(text::ChatTemplate(
      text::deepseek_v3_chat_template(), std::string(kDeepSeekBos), std::string(kDeepSeekEos)));
  const Problem p = problem_with("What is 2 + 3?", "<think>\n2+3=5\n</think>\nAnswer: 5");
  EXPECT_TRUE(literal.literal());
  EXPECT_FALSE(jinja.literal());
  EXPECT_EQ(literal.prompt(p), "<｜begin▁of▁sentence｜><｜User｜>What is 2 + 3?<｜Assistant｜>");
  EXPECT_EQ(literal.completion(p), p.solution);
  EXPECT_EQ(literal.conversation(p), literal.prompt(p) + p.solution + "<｜end▁of▁sentence｜>");
  EXPECT_EQ(jinja.prompt(p), literal.prompt(p));
  EXPECT_EQ(jinja.completion(p), literal.completion(p));
  EXPECT_EQ(jinja.conversation(p), literal.conversation(p));
  EXPECT_FALSE(prompt_opens_think(literal.prompt(p)));
}

TEST(ProblemFormat, PromptThatOpensThinking) {
  // DeepSeek-R1's generation prompt ends with "<think>\n".
  const ProblemFormat r1(text::ChatTemplate(
      "{{ bos_token }}{% for m in messages %}{{ '<｜User｜>' + m['content'] }}{% endfor %}"
      "{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}",
      "<s>", "</s>"));
  const Problem p = problem_with("Q", "<think>\nwork\n</think>\nAnswer: 1");
  EXPECT_EQ(r1.prompt(p), "<s><｜User｜>Q<｜Assistant｜><think>\n");
  EXPECT_TRUE(prompt_opens_think(r1.prompt(p)));
  EXPECT_EQ(r1.completion(p), "work\n</think>\nAnswer: 1");
  EXPECT_EQ(r1.prompt(p) + r1.completion(p), "<s><｜User｜>Q<｜Assistant｜>" + p.solution);
  EXPECT_TRUE(prompt_opens_think("x<think>"));
  EXPECT_FALSE(prompt_opens_think("<think>a</think>"));
  EXPECT_FALSE(prompt_opens_think(""));
}

TEST(ProblemFormat, TrainingIdsArePromptThenCompletionThenEos) {
  const auto tok = text::Tokenizer::load(testing::golden_dir("tokenizer"));
  const ProblemFormat format;
  const Problem p = generate_problem(TaskConfig{}, Split::kTrain, 1, 0);
  const std::vector<int32_t> ids = training_ids(format, tok, p);
  const std::vector<int32_t> prompt = tok.encode(format.prompt(p));
  const std::vector<int32_t> completion = tok.encode(format.completion(p));
  ASSERT_EQ(ids.size(), prompt.size() + completion.size() + 1);
  EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), ids.begin()));
  EXPECT_EQ(ids.back(), *tok.eos_id());
  EXPECT_EQ(tok.decode(ids), format.conversation(p));
  EXPECT_NE(problem_jsonl(p).find("\"solution\":"), std::string::npos);
}

// ---- rollouts --------------------------------------------------------------------------------

class RolloutTest : public ::testing::Test {
 protected:
  RolloutTest()
      : model_(testing::golden_dir("v3")),
        tokenizer_(text::Tokenizer::load(testing::golden_dir("tokenizer"))),
        problems_(generate_problems(TaskConfig{}, Split::kHeldOut, 3, 5)) {}

  RolloutResult run(int64_t group, float temperature, uint64_t seed, int64_t max_batch = 64,
                    int64_t max_new = 12) const {
    RolloutOptions o;
    o.group_size = group;
    o.max_new_tokens = max_new;
    o.max_batch = max_batch;
    o.sampling.temperature = temperature;
    o.sampling.seed = seed;
    return rollout(model_, tokenizer_, format_, problems_, o);
  }

  Model model_;
  text::Tokenizer tokenizer_;
  ProblemFormat format_;
  std::vector<Problem> problems_;
};

bool same_tokens(const RolloutResult& a, const RolloutResult& b) {
  if (a.completions.size() != b.completions.size()) return false;
  for (size_t i = 0; i < a.completions.size(); ++i) {
    if (a.completions[i].ids != b.completions[i].ids) return false;
    if (a.completions[i].logprobs != b.completions[i].logprobs) return false;
  }
  return true;
}

TEST_F(RolloutTest, ShapesPromptsAndRewards) {
  const RolloutResult r = run(4, 1.0f, 7);
  ASSERT_EQ(r.completions.size(), problems_.size() * 4);
  EXPECT_EQ(r.stats.sequences, int64_t(problems_.size()) * 4);
  int64_t generated = 0, prompt_tokens = 0;
  for (size_t i = 0; i < r.completions.size(); ++i) {
    const Completion& c = r.completions[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(c.problem, i / 4);
    EXPECT_EQ(c.sample, int64_t(i % 4));
    EXPECT_EQ(c.prompt_ids, tokenizer_.encode(format_.prompt(problems_[c.problem])));
    ASSERT_FALSE(c.ids.empty());
    EXPECT_LE(c.ids.size(), 12u);
    EXPECT_EQ(c.logprobs.size(), c.ids.size());
    EXPECT_EQ(c.sampling_logprobs.size(), c.ids.size());
    if (c.finish_reason == "stop") {
      EXPECT_EQ(c.ids.back(), 1);  // eos_token_id
    } else {
      EXPECT_EQ(c.finish_reason, "length");
      EXPECT_EQ(c.ids.size(), 12u);
    }
    for (size_t t = 0; t < c.ids.size(); ++t) {
      EXPECT_LE(c.logprobs[t], 0.0f);
      // Temperature 1, no truncation: the sampling distribution is the policy.
      EXPECT_NEAR(c.sampling_logprobs[t], c.logprobs[t], 1e-4);
    }
    std::vector<int32_t> body(c.ids.begin(), c.ids.begin() + c.length());
    EXPECT_EQ(c.text, tokenizer_.decode(body));
    const Reward want = score_completion(problems_[c.problem], c.text);
    EXPECT_EQ(c.reward.total, want.total);
    EXPECT_EQ(c.reward.note, want.note);
    generated += int64_t(c.ids.size());
    if (c.sample == 0) prompt_tokens += int64_t(c.prompt_ids.size());
  }
  EXPECT_EQ(r.stats.generated_tokens, generated);
  EXPECT_EQ(r.stats.prompt_tokens, prompt_tokens);  // each prompt prefilled once
  EXPECT_GT(r.stats.steps, 0);
  EXPECT_LE(r.stats.steps, 13);  // all 20 sequences share the steps
}

TEST_F(RolloutTest, LogprobsMatchAWholeSequenceForward) {
  const RolloutResult r = run(2, 1.0f, 11);
  for (size_t i = 0; i < r.completions.size(); i += 3) {
    const Completion& c = r.completions[i];
    std::vector<int32_t> all = c.prompt_ids;
    all.insert(all.end(), c.ids.begin(), c.ids.end());
    const ForwardResult f = model_.forward(all);
    const int64_t V = model_.config().vocab_size, n0 = int64_t(c.prompt_ids.size());
    for (size_t t = 0; t < c.ids.size(); ++t) {
      const float want = token_logprob(&f.logits[size_t((n0 + int64_t(t) - 1) * V)], V, c.ids[t]);
      EXPECT_NEAR(c.logprobs[t], want, 2e-4) << "completion " << i << " token " << t;
    }
  }
}

TEST_F(RolloutTest, GreedyEqualsTheSingleSequenceGenerator) {
  const RolloutResult r = run(1, 0.0f, 0, 64, 16);
  for (const Completion& c : r.completions) {
    Generator generator(model_, 256);
    GenerateOptions o;
    o.max_new_tokens = 16;
    o.sampling.temperature = 0.0f;
    o.stop_token_ids = end_of_sequence_ids(model_.config().eos_token_id, tokenizer_.eos_id());
    std::vector<int32_t> want;
    const GenerateStats s = generator.generate(c.prompt_ids, o, [&](const GeneratedToken& t) {
      want.push_back(t.token);
      return true;
    });
    EXPECT_EQ(std::vector<int32_t>(c.ids.begin(), c.ids.begin() + c.length()), want);
    EXPECT_EQ(c.finish_reason, s.finish_reason);
    for (float lp : c.sampling_logprobs) EXPECT_EQ(lp, 0.0f);  // greedy: probability 1
  }
}

TEST_F(RolloutTest, DeterministicPerSeedThreadCountAndBatch) {
  const int threads = num_threads();
  const RolloutResult a = run(3, 1.0f, 5);
  EXPECT_TRUE(same_tokens(a, run(3, 1.0f, 5)));
  EXPECT_FALSE(same_tokens(a, run(3, 1.0f, 6)));
  // Samples of one problem differ from each other (their own streams).
  EXPECT_NE(a.completions[0].ids, a.completions[1].ids);
  set_num_threads(1);
  const RolloutResult one = run(3, 1.0f, 5);
  set_num_threads(3);
  const RolloutResult three = run(3, 1.0f, 5);
  set_num_threads(threads);
  EXPECT_TRUE(same_tokens(a, one));
  EXPECT_TRUE(same_tokens(a, three));
  // Two slots instead of 15: a different schedule, the same completions.
  EXPECT_TRUE(same_tokens(a, run(3, 1.0f, 5, 2)));
}

TEST_F(RolloutTest, RefusesBadOptions) {
  EXPECT_THROW(run(0, 1.0f, 1), Error);
  EXPECT_THROW(run(1, 1.0f, 1, 0), Error);
  EXPECT_THROW(run(1, 1.0f, 1, 4, 0), Error);
  EXPECT_THROW(run(1, -1.0f, 1), Error);
  EXPECT_TRUE(rollout(model_, tokenizer_, format_, {}, RolloutOptions{}).completions.empty());
}

}  // namespace
}  // namespace fathom::rl
