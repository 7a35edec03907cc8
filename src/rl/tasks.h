// Programmatic tasks with verifiable rewards (DeepSeek-R1 §2.2.2: rule-based accuracy and format
// rewards), small enough for a tiny model to learn:
//
//   arithmetic  "What is 48213 + 9377?"                         answer: the integer
//   countdown   "Use the numbers 3, 7, 25, 50 to make 125. ..."  answer: an expression, checked
//                                                                exactly (rational arithmetic)
//   sort        "Sort in ascending order: 42, 7, 19, 3."         answer: the sorted list
//   offtopic    "What is the capital of France?"                answer: a brief refusal (what
//                                                                the model says outside its tasks)
//
// Every problem comes with a worked solution, a completion "<think>\n…\n</think>\nAnswer: …" whose
// trace (column addition with carries, long multiplication's partial products, the Countdown
// steps, repeated minimum selection) is a few hundred characters at most, for supervised warm-up
// and as a check that the verifier accepts what the generator knows to be right.
//
// Splits: a problem belongs to the held-out split iff the hash of its canonical key (commutative
// operands ordered, Countdown numbers and sort lists as sorted multisets) falls in the held-out
// share, so no held-out problem — nor a reordering of one — is ever generated for training.
// Generation is deterministic in (config, split, seed, index) on every platform (rng.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fathom::rl {

enum class TaskKind { kArithmetic, kCountdown, kSort, kOffTopic };
// "arithmetic" | "countdown" | "sort" | "offtopic"
TaskKind parse_task_kind(std::string_view name);
const char* task_kind_name(TaskKind kind);

enum class Split { kTrain, kHeldOut };
Split parse_split(std::string_view name);  // "train" | "heldout"
const char* split_name(Split split);

struct ArithmeticConfig {
  int min_digits = 1;  // digits of each operand of + and −
  int max_digits = 5;
  int mul_max_digits = 3;  // × operands have min_digits..mul_max_digits digits (≤ 9)
  bool add = true;
  bool sub = true;  // a − b with a < b allowed: negative answers
  bool mul = true;
};

struct CountdownConfig {
  int min_numbers = 3;  // drawn without replacement from the Countdown tiles: 1..10 twice each,
  int max_numbers = 4;  // 25, 50, 75, 100 once (2..6 numbers)
  int64_t min_target = 10;
  int64_t max_target = 999;
};

struct SortConfig {
  int min_count = 3;
  int max_count = 6;
  int64_t max_value = 99;  // values in [0, max_value], repeats allowed (≤ 999, no separators)
};

struct TaskConfig {
  TaskKind kind = TaskKind::kArithmetic;
  ArithmeticConfig arithmetic;
  CountdownConfig countdown;
  SortConfig sort;
  int held_out_per_mille = 100;  // share of the problem space (by key hash) held out, 1..999

  void validate() const;  // Error(kInvalidArgument) naming the bad field
};

struct Problem {
  TaskKind kind = TaskKind::kArithmetic;
  std::string question;  // the user turn
  std::string answer;    // canonical final answer: "57590", "(50 + 25) * 3 - 100", "3, 7, 19, 42"
  std::string solution;  // worked completion that earns the full reward
  std::string key;       // canonical identity the split hashes: "add 9377 48213"
  // What the verifier checks against:
  char op = 0;                   // arithmetic: '+', '-' or '*'
  std::vector<int64_t> numbers;  // arithmetic: {a, b}; countdown: the numbers; sort: the list
  int64_t target = 0;            // arithmetic: a op b; countdown: the target
};

// The split a canonical key belongs to.
Split split_of_key(std::string_view key, int held_out_per_mille);

// Problem `index` of `split` under `seed`: draws candidates from a stream seeded by
// (kind, seed, index, attempt) until one falls in `split`.
Problem generate_problem(const TaskConfig& config, Split split, uint64_t seed, uint64_t index);
// Problems first_index .. first_index + count − 1.
std::vector<Problem> generate_problems(const TaskConfig& config, Split split, uint64_t seed,
                                       size_t count, uint64_t first_index = 0);

}  // namespace fathom::rl
