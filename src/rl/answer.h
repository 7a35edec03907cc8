// Parsing a model's completion: the <think>…</think> structure, numbers in free text, the answer
// line. Everything here is total: any byte string gives a result, never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fathom::rl {

struct ThinkSplit {
  bool has_close = false;    // a "</think>" exists: `answer` is what follows the last one
  bool well_formed = false;  // the format reward's condition (reward.h)
  std::string_view answer;   // text after the last "</think>" ("" without one)
  std::string problem;       // why not well formed ("" when it is)
};
ThinkSplit split_think(std::string_view completion);

struct ParsedNumber {
  int64_t value = 0;      // the integer part, sign applied
  bool integral = true;   // false for a fraction with a nonzero digit ("2.5"; "7.00" is integral)
  bool overflow = false;  // more than int64 holds
};

// Numbers in reading order. A number is a run of digits, optionally with a sign directly before
// it ("-" or U+2212 "−") that is not itself preceded by a letter, digit or ')' (so "5-3" is 5
// and 3, "x = -3" is −3), optionally with thousands separators when `thousands` ("1,234,567";
// a comma counts only between a 1–3 digit lead and exact 3-digit groups, so "12,34" is 12 and
// 34), and an optional fraction ".25". A trailing "." that is not followed by a digit is
// punctuation.
std::vector<ParsedNumber> scan_numbers(std::string_view text, bool thousands);
// The last number of `text` (thousands separators on), if any.
std::optional<ParsedNumber> last_number(std::string_view text);

// The line holding the final answer: the text after the last "answer:" label (any case) up to
// the end of its line (or the next non-blank line when the label ends its line), else the last
// non-blank line; surrounding whitespace trimmed.
std::string_view answer_line(std::string_view answer);

// A Countdown answer expression: answer_line without decoration (markdown '*' / '`' / '$'
// around it, a trailing '.', \boxed{…}), and only the part left of the first '=' ("50 + 75 = 125").
std::string answer_expression(std::string_view answer);

}  // namespace fathom::rl
