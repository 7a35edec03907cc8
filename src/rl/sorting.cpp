// Sorting a short list of numbers ascending: problems, a repeated-minimum trace, and the list
// check (the integers of the answer line, in order, must be the sorted list).
#include <algorithm>
#include <string>
#include <vector>

#include "rl/answer.h"
#include "rl/task_kinds.h"

namespace fathom::rl::detail {

Problem draw_sort(const SortConfig& c, SplitMix64& rng) {
  Problem p;
  p.kind = TaskKind::kSort;
  const int64_t count = rng.range(c.min_count, c.max_count);
  for (int64_t i = 0; i < count; ++i) p.numbers.push_back(rng.range(0, c.max_value));
  std::vector<int64_t> sorted = p.numbers;
  std::sort(sorted.begin(), sorted.end());
  p.question = "Sort these numbers in ascending order: " + join_numbers(p.numbers) + ".";
  p.answer = join_numbers(sorted);
  p.key = "sort " + p.answer;  // the multiset: every ordering of it is the same problem
  // Selection sort, spoken: the smallest of what is left, until one number remains.
  std::string trace;
  std::vector<int64_t> left = p.numbers;
  while (left.size() > 1) {
    const auto it = std::min_element(left.begin(), left.end());
    trace += "min of " + join_numbers(left) + " is " + std::to_string(*it) + "\n";
    left.erase(it);
  }
  trace += "last " + std::to_string(left[0]) + "\n";
  p.solution = "<think>\n" + trace + "</think>\nAnswer: " + p.answer;
  return p;
}

AnswerCheck check_sort(const Problem& p, std::string_view answer) {
  AnswerCheck r;
  const auto found = scan_numbers(answer_line(answer), /*thousands=*/false);
  std::vector<int64_t> got;
  for (const ParsedNumber& n : found) {
    if (!n.integral || n.overflow) {
      r.note = "answer list holds a non-integer";
      return r;
    }
    got.push_back(n.value);
  }
  r.answer = join_numbers(got);
  if (got.empty()) {
    r.note = "no numbers in the answer";
    return r;
  }
  r.correct = r.answer == p.answer;
  if (!r.correct) r.note = "answer " + r.answer + ", expected " + p.answer;
  return r;
}

}  // namespace fathom::rl::detail
