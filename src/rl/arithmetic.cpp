// Multi-digit addition, subtraction and multiplication: problems, school-method traces (column
// addition with carries, column subtraction with borrows, long multiplication by partial
// products), and the last-number answer check.
#include <algorithm>
#include <string>
#include <vector>

#include "rl/answer.h"
#include "rl/task_kinds.h"

namespace fathom::rl::detail {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

int64_t pow10(int d) {
  int64_t p = 1;
  for (int i = 0; i < d; ++i) p *= 10;
  return p;
}

// A number with exactly `digits` decimal digits (0..9 for one digit).
int64_t draw_number(SplitMix64& rng, int digits) {
  return digits == 1 ? rng.range(0, 9) : rng.range(pow10(digits - 1), pow10(digits) - 1);
}

// Decimal digits, least significant first.
std::vector<int> digits_of(int64_t v) {
  std::vector<int> d;
  do {
    d.push_back(int(v % 10));
    v /= 10;
  } while (v > 0);
  return d;
}

// Column addition of a, b ≥ 0, right to left: "3+7=10, write 0 carry 1".
std::string add_trace(int64_t a, int64_t b) {
  const auto da = digits_of(a), db = digits_of(b);
  std::string t;
  int carry = 0;
  for (size_t k = 0; k < std::max(da.size(), db.size()); ++k) {
    const int x = k < da.size() ? da[k] : 0, y = k < db.size() ? db[k] : 0;
    const int s = x + y + carry;
    t += str(x) + "+" + str(y) + (carry ? "+1" : "") + "=" + str(s) + ", write " + str(s % 10);
    carry = s / 10;
    t += carry ? " carry 1\n" : "\n";
  }
  if (carry) t += "final carry 1\n";
  return t;
}

// Column subtraction of a ≥ b ≥ 0, right to left: "3-7: 13-7=6, borrow 1".
std::string sub_trace(int64_t a, int64_t b) {
  const auto da = digits_of(a), db = digits_of(b);
  std::string t;
  int borrow = 0;
  for (size_t k = 0; k < da.size(); ++k) {
    const int y = k < db.size() ? db[k] : 0;
    int x = da[k];
    if (borrow) {
      t += str(x) + "-1=" + str(x - 1) + ", ";
      x -= 1;
    }
    if (x >= y) {
      t += str(x) + "-" + str(y) + "=" + str(x - y) + "\n";
      borrow = 0;
    } else {
      t += str(x + 10) + "-" + str(y) + "=" + str(x + 10 - y) + ", borrow 1\n";
      borrow = 1;
    }
  }
  return t;
}

// Long multiplication: one partial product per nonzero digit of the shorter operand, then their
// running sum.
std::string mul_trace(int64_t a, int64_t b) {
  const int64_t n = std::to_string(a).size() >= std::to_string(b).size() ? a : b;
  const int64_t m = n == a ? b : a;
  const auto dm = digits_of(m);
  std::string t;
  std::vector<int64_t> partials;
  for (size_t k = 0; k < dm.size(); ++k) {
    if (dm[k] == 0) continue;
    const int64_t f = dm[k] * pow10(int(k));
    partials.push_back(n * f);
    t += str(n) + "*" + str(f) + "=" + str(n * f) + "\n";
  }
  if (partials.empty()) return str(n) + "*0=0\n";
  int64_t sum = partials[0];
  for (size_t k = 1; k < partials.size(); ++k) {
    t += str(sum) + "+" + str(partials[k]) + "=" + str(sum + partials[k]) + "\n";
    sum += partials[k];
  }
  return t;
}

}  // namespace

Problem draw_arithmetic(const ArithmeticConfig& c, SplitMix64& rng) {
  std::vector<char> ops;
  if (c.add) ops.push_back('+');
  if (c.sub) ops.push_back('-');
  if (c.mul) ops.push_back('*');
  Problem p;
  p.kind = TaskKind::kArithmetic;
  p.op = ops[rng.below(ops.size())];
  const int hi = p.op == '*' ? c.mul_max_digits : c.max_digits;
  const int64_t a = draw_number(rng, int(rng.range(c.min_digits, hi)));
  const int64_t b = draw_number(rng, int(rng.range(c.min_digits, hi)));
  p.numbers = {a, b};
  const std::string expr = str(a) + " " + p.op + " " + str(b);
  p.question = "What is " + expr + "?";
  std::string trace;
  switch (p.op) {
    case '+':
      p.target = a + b;
      p.key = "add " + str(std::min(a, b)) + " " + str(std::max(a, b));
      trace = add_trace(a, b);
      break;
    case '-':
      p.target = a - b;
      p.key = "sub " + str(a) + " " + str(b);
      trace = a >= b ? sub_trace(a, b)
                     : str(a) + "<" + str(b) + ", so compute " + str(b) + "-" + str(a) +
                           " and negate\n" + sub_trace(b, a);
      break;
    default:
      p.target = a * b;
      p.key = "mul " + str(std::min(a, b)) + " " + str(std::max(a, b));
      trace = mul_trace(a, b);
      break;
  }
  p.answer = str(p.target);
  p.solution = "<think>\n" + expr + "\n" + trace + "so " + expr + " = " + p.answer +
               "\n</think>\nAnswer: " + p.answer;
  return p;
}

AnswerCheck check_arithmetic(const Problem& p, std::string_view answer) {
  AnswerCheck r;
  const auto n = last_number(answer);
  if (!n) {
    r.note = "no number in the answer";
    return r;
  }
  if (n->overflow) {
    r.note = "answer number too large";
    return r;
  }
  r.answer = str(n->value);
  if (!n->integral) {
    r.note = "answer is not an integer";
    return r;
  }
  r.correct = n->value == p.target;
  if (!r.correct) r.note = "answer " + r.answer + ", expected " + p.answer;
  return r;
}

std::string join_numbers(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + str(v[i]);
  return s;
}

}  // namespace fathom::rl::detail
