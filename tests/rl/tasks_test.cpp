// RL tasks (label `unit`): deterministic generation, disjoint splits, worked solutions earning the
// full reward, partial rewards for malformed / wrong completions, answer-parser edge cases.
#include "rl/tasks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include "core/error.h"
#include "rl/answer.h"
#include "rl/expression.h"
#include "rl/reward.h"

namespace fathom::rl {
namespace {

TaskConfig config_for(TaskKind kind) {
  TaskConfig c;
  c.kind = kind;
  return c;
}

constexpr TaskKind kKinds[] = {TaskKind::kArithmetic, TaskKind::kCountdown, TaskKind::kSort,
                               TaskKind::kOffTopic};

Problem arithmetic(int64_t a, char op, int64_t b) {
  Problem p;
  p.kind = TaskKind::kArithmetic;
  p.op = op;
  p.numbers = {a, b};
  p.target = op == '+' ? a + b : op == '-' ? a - b : a * b;
  p.answer = std::to_string(p.target);
  return p;
}

Problem countdown(std::vector<int64_t> numbers, int64_t target) {
  Problem p;
  p.kind = TaskKind::kCountdown;
  p.numbers = std::move(numbers);
  p.target = target;
  return p;
}

Problem sorting(std::vector<int64_t> numbers) {
  Problem p;
  p.kind = TaskKind::kSort;
  p.numbers = numbers;
  std::sort(numbers.begin(), numbers.end());
  for (size_t i = 0; i < numbers.size(); ++i) {
    p.answer += (i ? ", " : "") + std::to_string(numbers[i]);
  }
  return p;
}

// "<think>\nwork\n</think>\n" + answer: a well-formed completion.
std::string formed(const std::string& answer) { return "<think>\nwork\n</think>\n" + answer; }

bool correct(const Problem& p, const std::string& answer) {
  return score_completion(p, formed(answer)).correct == 1.0;
}

// ---- generation ----------------------------------------------------------------------------

TEST(Tasks, GenerationIsDeterministicPerSeed) {
  for (TaskKind kind : kKinds) {
    SCOPED_TRACE(task_kind_name(kind));
    const TaskConfig c = config_for(kind);
    const auto a = generate_problems(c, Split::kTrain, 7, 40);
    const auto b = generate_problems(c, Split::kTrain, 7, 40);
    const auto other = generate_problems(c, Split::kTrain, 8, 40);
    int same_as_other = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].question, b[i].question);
      EXPECT_EQ(a[i].solution, b[i].solution);
      EXPECT_EQ(a[i].key, b[i].key);
      same_as_other += a[i].question == other[i].question;
    }
    EXPECT_LT(same_as_other, 10);
    // A problem depends only on its index, not on how many were generated before it.
    EXPECT_EQ(generate_problem(c, Split::kTrain, 7, 13).question, a[13].question);
    EXPECT_EQ(generate_problems(c, Split::kTrain, 7, 5, 20)[2].question, a[22].question);
  }
}

// Pinned outputs: the generators use only splitmix64 and integer arithmetic, so these strings are
// the same on every platform and standard library; a change here changes every split.
TEST(Tasks, PinnedProblems) {
  const auto show = [](TaskKind kind, Split split) {
    const Problem p = generate_problem(config_for(kind), split, 1, 0);
    std::printf("%s/%s: %s -> %s\n", task_kind_name(kind), split_name(split), p.question.c_str(),
                p.answer.c_str());
    return p.question + " | " + p.answer;
  };
  EXPECT_EQ(show(TaskKind::kArithmetic, Split::kTrain), "What is 5 - 5? | 0");
  EXPECT_EQ(show(TaskKind::kArithmetic, Split::kHeldOut), "What is 11 - 7? | 4");
  EXPECT_EQ(show(TaskKind::kCountdown, Split::kTrain),
            "Use the numbers 2, 8, 8 to make 128. Use each number exactly once, with + - * / and "
            "parentheses. | 8 * 8 * 2");
  EXPECT_EQ(show(TaskKind::kSort, Split::kHeldOut),
            "Sort these numbers in ascending order: 82, 1, 46. | 1, 46, 82");
}

TEST(Tasks, SplitsAreDisjoint) {
  for (TaskKind kind : kKinds) {
    SCOPED_TRACE(task_kind_name(kind));
    TaskConfig c = config_for(kind);
    c.arithmetic.max_digits = 2;  // small spaces, so collisions would show
    c.arithmetic.mul_max_digits = 2;
    c.countdown.max_numbers = 3;
    c.sort.max_count = 3;
    c.sort.max_value = 20;
    std::set<std::string> train, held;
    for (const Problem& p : generate_problems(c, Split::kTrain, 3, 3000)) train.insert(p.key);
    for (const Problem& p : generate_problems(c, Split::kHeldOut, 3, 600)) held.insert(p.key);
    for (const std::string& k : held) {
      EXPECT_EQ(train.count(k), 0u) << k;
      EXPECT_EQ(split_of_key(k, c.held_out_per_mille), Split::kHeldOut);
    }
    for (const std::string& k : train)
      EXPECT_EQ(split_of_key(k, c.held_out_per_mille), Split::kTrain);
    EXPECT_GT(held.size(), 30u);
  }
  // Reorderings are the same problem: commutative operands and multisets share a key.
  EXPECT_EQ(split_of_key("add 12 34", 500), split_of_key("add 12 34", 500));
  int held = 0;
  for (int i = 0; i < 10000; ++i) held += split_of_key(std::to_string(i), 100) == Split::kHeldOut;
  EXPECT_NEAR(held, 1000, 120);  // the share is what the config says
}

TEST(Tasks, KeysAreCanonical) {
  TaskConfig c = config_for(TaskKind::kArithmetic);
  c.arithmetic.sub = false;
  for (const Problem& p : generate_problems(c, Split::kTrain, 5, 200)) {
    const int64_t lo = std::min(p.numbers[0], p.numbers[1]),
                  hi = std::max(p.numbers[0], p.numbers[1]);
    EXPECT_EQ(p.key, std::string(p.op == '+' ? "add " : "mul ") + std::to_string(lo) + " " +
                         std::to_string(hi));
  }
  for (const Problem& p : generate_problems(config_for(TaskKind::kSort), Split::kTrain, 5, 50)) {
    EXPECT_EQ(p.key, "sort " + p.answer);
  }
}

// ---- worked solutions --------------------------------------------------------------------------

TEST(Tasks, WorkedSolutionsEarnFullReward) {
  std::vector<TaskConfig> configs;
  for (TaskKind kind : kKinds) configs.push_back(config_for(kind));
  TaskConfig big = config_for(TaskKind::kArithmetic);  // the widest operands allowed
  big.arithmetic.min_digits = 6;
  big.arithmetic.max_digits = 18;
  big.arithmetic.mul_max_digits = 9;
  configs.push_back(big);
  TaskConfig six = config_for(TaskKind::kCountdown);
  six.countdown.min_numbers = 2;
  six.countdown.max_numbers = 6;
  configs.push_back(six);
  TaskConfig long_sort = config_for(TaskKind::kSort);
  long_sort.sort.max_count = 10;
  long_sort.sort.max_value = 999;
  configs.push_back(long_sort);
  for (const TaskConfig& c : configs) {
    size_t longest = 0;
    for (Split split : {Split::kTrain, Split::kHeldOut}) {
      for (const Problem& p : generate_problems(c, split, 11, 400)) {
        const Reward r = score_completion(p, p.solution);
        ASSERT_EQ(r.correct, 1.0) << p.question << "\n" << p.solution << "\n" << r.note;
        ASSERT_EQ(r.format, 1.0) << p.solution << "\n" << r.note;
        EXPECT_DOUBLE_EQ(r.total, 1.1);
        EXPECT_EQ(r.note, "");
        longest = std::max(longest, p.solution.size());
      }
    }
    std::printf("%s: longest worked solution %zu chars\n", task_kind_name(c.kind), longest);
    EXPECT_LE(longest, 800u);  // 18-digit column addition is the longest trace
  }
  // Defaults stay "a few hundred characters".
  for (TaskKind kind : kKinds) {
    for (const Problem& p : generate_problems(config_for(kind), Split::kTrain, 2, 300)) {
      EXPECT_LE(p.solution.size(), 400u) << p.solution;
    }
  }
}

TEST(Tasks, ExampleTraces) {
  TaskConfig c = config_for(TaskKind::kArithmetic);
  for (uint64_t i = 0; i < 3; ++i)
    std::printf("%s\n---\n", generate_problem(c, Split::kTrain, 4, i).solution.c_str());
  for (TaskKind kind : {TaskKind::kCountdown, TaskKind::kSort}) {
    const Problem p = generate_problem(config_for(kind), Split::kTrain, 4, 0);
    std::printf("%s\n%s\n---\n", p.question.c_str(), p.solution.c_str());
  }
}

TEST(Tasks, OffTopicQuestionsGetTheRefusal) {
  const TaskConfig c = config_for(TaskKind::kOffTopic);
  std::set<std::string> questions;
  for (const Problem& p : generate_problems(c, Split::kTrain, 1, 2000)) {
    questions.insert(p.question);
    EXPECT_EQ(p.answer, "Sorry, I can only solve arithmetic, Countdown and sorting problems.");
    // Never one of the real tasks' questions: no number where an operand or a list would be.
    const size_t digit = p.question.find_first_of("0123456789");
    if (digit != std::string::npos) {
      EXPECT_EQ(p.question.substr(digit - 2), "* 7?") << p.question;
    }
  }
  EXPECT_GT(questions.size(), 800u);  // templates x subjects, not a handful of strings
  const Problem p = generate_problem(c, Split::kHeldOut, 1, 0);
  EXPECT_TRUE(correct(p, p.answer));
  EXPECT_TRUE(correct(p, "  " + p.answer + "\n"));
  EXPECT_FALSE(correct(p, "Answer: 42"));
  EXPECT_FALSE(correct(p, "Sorry."));
  EXPECT_EQ(score_completion(p, p.answer).format, 0.0);  // the refusal still thinks first
  EXPECT_THROW(parse_task_kind("off-topic"), Error);
  EXPECT_EQ(parse_task_kind("offtopic"), TaskKind::kOffTopic);
}

// ---- rewards -----------------------------------------------------------------------------------

TEST(Reward, PartialRewards) {
  const Problem p = arithmetic(48213, '+', 9377);  // 57590
  const auto score = [&](const std::string& s) { return score_completion(p, s); };
  Reward r = score("<think>add</think>57590");
  EXPECT_EQ(r.correct, 1.0);
  EXPECT_EQ(r.format, 1.0);
  EXPECT_DOUBLE_EQ(r.total, 1.1);
  r = score("<think>add</think> 57591");  // well formed, wrong
  EXPECT_EQ(r.correct, 0.0);
  EXPECT_EQ(r.format, 1.0);
  EXPECT_DOUBLE_EQ(r.total, 0.1);
  EXPECT_NE(r.note.find("expected 57590"), std::string::npos);
  r = score("</think> 57590");  // right answer, no opening tag
  EXPECT_EQ(r.correct, 1.0);
  EXPECT_EQ(r.format, 0.0);
  EXPECT_DOUBLE_EQ(r.total, 1.0);
  r = score("<think>add 57590");  // missing </think>: no answer at all
  EXPECT_EQ(r.correct, 0.0);
  EXPECT_EQ(r.format, 0.0);
  EXPECT_EQ(r.total, 0.0);
  EXPECT_NE(r.note.find("no </think>"), std::string::npos);
  r = score("57590");
  EXPECT_EQ(r.total, 0.0);
  r = score("<think>add</think>   \n");  // nothing after </think>
  EXPECT_EQ(r.format, 0.0);
  EXPECT_EQ(r.correct, 0.0);
  r = score("<think>a</think>x<think>b</think>57590");  // two blocks: answer after the last
  EXPECT_EQ(r.format, 0.0);
  EXPECT_EQ(r.correct, 1.0);
  r = score("Sure! <think>a</think>57590");  // text before <think>
  EXPECT_EQ(r.format, 0.0);
  r = score("  \n<think>a</think>57590");  // leading whitespace is fine
  EXPECT_EQ(r.format, 1.0);
  r = score("<think>a</think></think>57590");
  EXPECT_EQ(r.format, 0.0);
  EXPECT_EQ(r.correct, 1.0);
  // A prompt that ends with "<think>": the completion starts inside the think block.
  RewardOptions o;
  o.prompt_opens_think = true;
  r = score_completion(p, "add\n</think>\nAnswer: 57590", o);
  EXPECT_EQ(r.format, 1.0);
  EXPECT_EQ(r.correct, 1.0);
  o.format_weight = 0.5;
  o.correct_weight = 2.0;
  EXPECT_DOUBLE_EQ(score_completion(p, "add</think>1", o).total, 0.5);
}

TEST(Reward, ArithmeticAnswerParsing) {
  const Problem add = arithmetic(48213, '+', 9377);  // 57590
  EXPECT_TRUE(correct(add, "Answer: 57590"));
  EXPECT_TRUE(correct(add, "57,590"));
  EXPECT_TRUE(correct(add, "  answer:57590.  "));
  EXPECT_TRUE(correct(add, "The sum is 57590, which I double-checked."));
  EXPECT_TRUE(correct(add, "**Answer:** $\\boxed{57590}$"));
  EXPECT_TRUE(correct(add, "57590.0"));
  EXPECT_FALSE(correct(add, "57590.5"));
  EXPECT_FALSE(correct(add, "57 590"));  // spaces do not group digits: the last number is 590
  EXPECT_FALSE(correct(add, "57590 (48213 + 9377)"));  // the last number counts
  EXPECT_FALSE(correct(add, "575,90"));
  EXPECT_FALSE(correct(add, "no idea"));
  EXPECT_FALSE(correct(add, "99999999999999999999999"));

  const Problem sub = arithmetic(9377, '-', 48213);  // −38836
  EXPECT_TRUE(correct(sub, "Answer: -38836"));
  EXPECT_TRUE(correct(sub, "-38,836"));
  EXPECT_TRUE(correct(sub,
                      "\xE2\x88\x92"
                      "38836"));  // U+2212 minus
  EXPECT_TRUE(correct(sub, "x = (-38836)"));
  EXPECT_FALSE(correct(sub, "38836"));
  EXPECT_FALSE(correct(sub, "9377-48213=38836"));

  const Problem mul = arithmetic(123456789, '*', 987654321);
  EXPECT_TRUE(correct(mul, "121,932,631,112,635,269"));
  EXPECT_TRUE(correct(mul, "121932631112635269"));
}

TEST(Answer, NumberScanning) {
  const auto last = [](std::string_view s) { return last_number(s); };
  EXPECT_EQ(last("5-3")->value, 3);
  EXPECT_EQ(last("a-3")->value, 3);
  EXPECT_EQ(last("(-3)")->value, -3);
  EXPECT_EQ(last("= -0")->value, 0);
  EXPECT_EQ(last("1,234,567")->value, 1234567);
  EXPECT_EQ(last("12,34")->value, 34);
  EXPECT_EQ(last("1,2345")->value, 2345);
  EXPECT_EQ(last("1234,567")->value, 567);  // a lead longer than 3 digits is not grouped
  EXPECT_EQ(last("It is 7.")->value, 7);
  EXPECT_TRUE(last("7.00")->integral);
  EXPECT_FALSE(last("7.01")->integral);
  EXPECT_TRUE(last("9223372036854775807")->value == INT64_MAX);
  EXPECT_TRUE(last("9223372036854775808")->overflow);
  EXPECT_FALSE(last("none").has_value());
  const auto list = scan_numbers("3,7,19,42", false);
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[3].value, 42);
  EXPECT_EQ(answer_line("blah\nAnswer:\n\n  42 \nmore"), "42");
  EXPECT_EQ(answer_line("x\n\n y \n\n"), "y");
  EXPECT_EQ(answer_line("answer: 1\nANSWER: 2"), "2");
  EXPECT_EQ(answer_expression("Answer: **(50 + 25) * 3 = 225.**"), "(50 + 25) * 3");
  EXPECT_EQ(answer_expression("\\boxed{8 / (3 - 8 / 3)}"), "8 / (3 - 8 / 3)");
}

TEST(Reward, CountdownAnswers) {
  const Problem p = countdown({3, 7, 25, 50}, 218);  // (50 + 25) * 3 - 7
  const auto note = [&](const std::string& a) { return score_completion(p, formed(a)).note; };
  EXPECT_TRUE(correct(p, "Answer: (50 + 25) * 3 - 7"));
  EXPECT_TRUE(correct(p, "(25 + 50) * 3 - 7 = 218"));
  EXPECT_TRUE(correct(p, "3 × (50 + 25) − 7"));
  EXPECT_TRUE(correct(p, "first try 50 + 7, no.\nAnswer: [25 + 50] x 3 - 7."));
  EXPECT_FALSE(correct(p, "(50 + 25) * 3 + 7"));
  EXPECT_NE(note("(50 + 25) * 3 + 7").find("evaluates to 232"), std::string::npos);
  EXPECT_FALSE(correct(p, "(50 + 25) * 3"));  // 7 unused (and the value is wrong too)
  EXPECT_NE(note("(50 + 25) * 3").find("exactly once"), std::string::npos);
  EXPECT_FALSE(correct(p, "(50 + 25) * 3 - 7 + 7 - 7"));   // 7 three times
  EXPECT_FALSE(correct(p, "(50 + 50) * 3 - 82 + 7 - 7"));  // a number twice, one not given
  EXPECT_FALSE(correct(p, "(75) * 3 - 7"));                // 75 is not given
  EXPECT_FALSE(correct(p, "(50 + 25) * 3 - 7 / (3 - 3)"));
  EXPECT_NE(note("(50 + 25) * 3 - 7 / (25 - 25)").find("division by zero"), std::string::npos);
  EXPECT_FALSE(correct(p, "-7 + (50 + 25) * 3"));  // no unary minus
  EXPECT_NE(note("-7 + (50 + 25) * 3").find("unary minus"), std::string::npos);
  EXPECT_FALSE(correct(p, "(50 + 25) * 3 - 7)"));
  EXPECT_FALSE(correct(p, "(50 + 25) * 3.0 - 7"));
  EXPECT_FALSE(correct(p, ""));
  EXPECT_NE(note("50 / 3 + 25 - 7").find("evaluates to 104/3"), std::string::npos);

  // Exact rationals: 8 / (3 − 8/3) = 24 needs the non-integer intermediate 1/3.
  const Problem q = countdown({3, 3, 8, 8}, 24);
  EXPECT_TRUE(correct(q, "8 / (3 - 8 / 3)"));
  EXPECT_TRUE(correct(q, "8 ÷ (3 − 8 ÷ 3)"));
  EXPECT_FALSE(correct(q, "8 / 3 - 8 / 3"));
}

TEST(Expression, ExactEvaluation) {
  EXPECT_EQ(evaluate_expression("1 - 2 - 3").value, (Rational{-4, 1}));  // left associative
  EXPECT_EQ(evaluate_expression("12 / 4 / 3").value, (Rational{1, 1}));
  EXPECT_EQ(evaluate_expression("2 + 3 * 4").value, (Rational{14, 1}));
  EXPECT_EQ(evaluate_expression("6 / 4").value, (Rational{3, 2}));
  EXPECT_EQ(evaluate_expression("1 / 3 - 1 / 2").value, (Rational{-1, 6}));
  EXPECT_EQ(evaluate_expression("2·3").value, (Rational{6, 1}));
  EXPECT_EQ(evaluate_expression("(1+2)*3").literals, (std::vector<int64_t>{1, 2, 3}));
  for (const char* bad : {"", "1 +", "(1", "1)", "1 / 0", "5 / (2 - 2)", "1 2", "a", "--1",
                          "3 + -1", "99999999999999999999", "1000000000 * 1000000000 * 100000"}) {
    EXPECT_FALSE(evaluate_expression(bad).ok) << bad;
  }
  EXPECT_NE(evaluate_expression("1 / (3 - 3)").error.find("division by zero"), std::string::npos);
  std::string deep(70, '(');
  deep += "1" + std::string(70, ')');
  EXPECT_NE(evaluate_expression(deep).error.find("nested too deeply"), std::string::npos);
  std::string ok_deep(60, '(');
  ok_deep += "1" + std::string(60, ')');
  EXPECT_TRUE(evaluate_expression(ok_deep).ok);
}

TEST(Reward, SortAnswers) {
  const Problem p = sorting({42, 7, 19, 3, 7});
  EXPECT_TRUE(correct(p, "Answer: 3, 7, 7, 19, 42"));
  EXPECT_TRUE(correct(p, "3,7,7,19,42"));
  EXPECT_TRUE(correct(p, "Sorted:\n3 7 7 19 42"));
  EXPECT_TRUE(correct(p, "[3, 7, 7, 19, 42]."));
  EXPECT_FALSE(correct(p, "3, 7, 19, 42"));  // a repeat dropped
  EXPECT_FALSE(correct(p, "3, 7, 7, 42, 19"));
  EXPECT_FALSE(correct(p, "42, 19, 7, 7, 3"));
  EXPECT_FALSE(correct(p, "3, 7, 7.5, 19, 42"));
  EXPECT_FALSE(correct(p, "Answer: 3, 7, 7, 19, 42, 50"));
  EXPECT_FALSE(correct(p, "Answer: sorted!"));
}

TEST(Tasks, RejectsBadConfig) {
  TaskConfig c;
  c.held_out_per_mille = 0;
  EXPECT_THROW(c.validate(), Error);
  c = TaskConfig{};
  c.arithmetic.add = c.arithmetic.sub = c.arithmetic.mul = false;
  EXPECT_THROW(generate_problem(c, Split::kTrain, 1, 0), Error);
  c = TaskConfig{};
  c.arithmetic.mul_max_digits = 10;
  EXPECT_THROW(c.validate(), Error);
  c = TaskConfig{};
  c.countdown.max_numbers = 7;
  EXPECT_THROW(c.validate(), Error);
  c = config_for(TaskKind::kCountdown);
  c.countdown.min_numbers = c.countdown.max_numbers = 2;
  c.countdown.min_target = c.countdown.max_target = 999999;  // out of reach of two tiles
  EXPECT_THROW(generate_problem(c, Split::kTrain, 1, 0), Error);
  c = TaskConfig{};
  c.sort.max_count = 11;
  EXPECT_THROW(c.validate(), Error);
  EXPECT_THROW(parse_task_kind("chess"), Error);
  EXPECT_EQ(parse_task_kind("countdown"), TaskKind::kCountdown);
  EXPECT_EQ(parse_split("heldout"), Split::kHeldOut);
  EXPECT_THROW(parse_split("test"), Error);
}

}  // namespace
}  // namespace fathom::rl
