// Completion parsing: think/answer split, number scanning, answer line (answer.h).
#include "rl/answer.h"

#include <algorithm>
#include <cctype>

namespace fathom::rl {
namespace {

constexpr std::string_view kOpen = "<think>", kClose = "</think>";
constexpr std::string_view kUnicodeMinus = "\xE2\x88\x92";  // U+2212

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

size_t count(std::string_view s, std::string_view needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string_view::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

bool blank(std::string_view s) { return trim(s).empty(); }

// Appends digit c to n.value; on int64 overflow marks n and pins the value at 0 (so negating it
// later is defined).
void push_digit(ParsedNumber& n, char c) {
  if (n.overflow) return;
  if (__builtin_mul_overflow(n.value, int64_t(10), &n.value) ||
      __builtin_add_overflow(n.value, int64_t(c - '0'), &n.value)) {
    n.overflow = true;
    n.value = 0;
  }
}

}  // namespace

ThinkSplit split_think(std::string_view completion) {
  ThinkSplit s;
  const size_t close = completion.rfind(kClose);
  s.has_close = close != std::string_view::npos;
  if (s.has_close) s.answer = completion.substr(close + kClose.size());
  const size_t n_open = count(completion, kOpen), n_close = count(completion, kClose);
  const std::string_view body = trim(completion);
  if (body.substr(0, kOpen.size()) != kOpen) {
    s.problem = "does not start with <think>";
  } else if (n_open != 1) {
    s.problem = std::to_string(n_open) + " <think> tags";
  } else if (n_close != 1) {
    s.problem = n_close == 0 ? "no </think>" : std::to_string(n_close) + " </think> tags";
  } else if (blank(s.answer)) {
    s.problem = "nothing after </think>";
  } else {
    s.well_formed = true;
  }
  return s;
}

std::vector<ParsedNumber> scan_numbers(std::string_view t, bool thousands) {
  std::vector<ParsedNumber> out;
  size_t i = 0;
  while (i < t.size()) {
    if (!is_digit(t[i])) {
      ++i;
      continue;
    }
    // A sign directly before the digits, itself not glued to an operand on its left.
    bool negative = false;
    size_t sign_at = std::string_view::npos;
    if (i >= 1 && t[i - 1] == '-') sign_at = i - 1;
    if (i >= kUnicodeMinus.size() &&
        t.substr(i - kUnicodeMinus.size(), kUnicodeMinus.size()) == kUnicodeMinus) {
      sign_at = i - kUnicodeMinus.size();
    }
    if (sign_at != std::string_view::npos) {
      negative = sign_at == 0 || !(is_alnum(t[sign_at - 1]) || t[sign_at - 1] == ')');
    }
    ParsedNumber n;
    size_t lead = 0;
    for (; i < t.size() && is_digit(t[i]); ++i, ++lead) push_digit(n, t[i]);
    // Thousands groups: ",ddd" not followed by another digit, after a lead of 1–3 digits.
    while (thousands && lead <= 3 && i + 3 < t.size() && t[i] == ',' && is_digit(t[i + 1]) &&
           is_digit(t[i + 2]) && is_digit(t[i + 3]) && (i + 4 >= t.size() || !is_digit(t[i + 4]))) {
      for (size_t k = 1; k <= 3; ++k) push_digit(n, t[i + k]);
      i += 4;
    }
    if (i + 1 < t.size() && t[i] == '.' && is_digit(t[i + 1])) {  // fraction
      for (++i; i < t.size() && is_digit(t[i]); ++i) n.integral &= t[i] == '0';
    }
    if (negative) n.value = -n.value;
    out.push_back(n);
  }
  return out;
}

std::optional<ParsedNumber> last_number(std::string_view text) {
  const auto all = scan_numbers(text, true);
  if (all.empty()) return std::nullopt;
  return all.back();
}

std::string_view answer_line(std::string_view answer) {
  // The last "answer:" label, case-insensitively.
  size_t label = std::string_view::npos;
  constexpr std::string_view kLabel = "answer:";
  for (size_t p = 0; p + kLabel.size() <= answer.size(); ++p) {
    bool match = true;
    for (size_t k = 0; k < kLabel.size() && match; ++k) {
      match = std::tolower(static_cast<unsigned char>(answer[p + k])) == kLabel[k];
    }
    if (match) label = p;
  }
  std::string_view rest = answer;
  if (label != std::string_view::npos) {
    rest = answer.substr(label + kLabel.size());
    // The label's own line, else the next non-blank line.
    while (!rest.empty()) {
      const size_t eol = rest.find('\n');
      const std::string_view line = trim(rest.substr(0, eol));
      if (!line.empty() || eol == std::string_view::npos) return line;
      rest.remove_prefix(eol + 1);
    }
    return {};
  }
  // No label: the last non-blank line.
  std::string_view last;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, eol));
    if (!line.empty()) last = line;
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 1);
  }
  return last;
}

std::string answer_expression(std::string_view answer) {
  std::string_view s = answer_line(answer);
  const auto strip = [&] {
    const auto deco = [](char c) { return is_space(c) || c == '*' || c == '`' || c == '$'; };
    while (!s.empty() && deco(s.front())) s.remove_prefix(1);
    while (!s.empty() && (deco(s.back()) || s.back() == '.')) s.remove_suffix(1);
  };
  strip();
  constexpr std::string_view kBoxed = "\\boxed{";
  if (s.substr(0, kBoxed.size()) == kBoxed && !s.empty() && s.back() == '}') {
    s = s.substr(kBoxed.size(), s.size() - kBoxed.size() - 1);
    strip();
  }
  s = s.substr(0, s.find('='));
  strip();
  return std::string(s);
}

}  // namespace fathom::rl
