// The task kinds behind tasks.h / reward.h: one draw function (a candidate problem of either
// split, with its worked solution) and one answer check per kind. Internal to src/rl.
#pragma once

#include <string>
#include <string_view>

#include "rl/rng.h"
#include "rl/tasks.h"

namespace fathom::rl::detail {

struct AnswerCheck {
  bool correct = false;
  std::string answer;  // what was extracted ("" if nothing)
  std::string note;    // why not correct
};

Problem draw_arithmetic(const ArithmeticConfig& c, SplitMix64& rng);  // arithmetic.cpp
Problem draw_countdown(const CountdownConfig& c, SplitMix64& rng);    // countdown.cpp
Problem draw_sort(const SortConfig& c, SplitMix64& rng);              // sorting.cpp
Problem draw_off_topic(SplitMix64& rng);                              // off_topic.cpp

// `answer` is the completion's text after its last </think>.
AnswerCheck check_arithmetic(const Problem& p, std::string_view answer);
AnswerCheck check_countdown(const Problem& p, std::string_view answer);
AnswerCheck check_sort(const Problem& p, std::string_view answer);
AnswerCheck check_off_topic(const Problem& p, std::string_view answer);

// "3, 7, 25, 50"
std::string join_numbers(const std::vector<int64_t>& v);

}  // namespace fathom::rl::detail
