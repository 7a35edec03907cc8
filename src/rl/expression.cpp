// Exact rational evaluation of + − × ÷ expressions (expression.h): a recursive-descent parser over
// int64 rationals, every operation overflow-checked.
#include "rl/expression.h"

#include <cctype>
#include <numeric>

namespace fathom::rl {
namespace {

constexpr int kMaxDepth = 64;

// Thrown inside the parser only; evaluate_expression turns it into ExpressionValue::error.
struct ParseError {
  std::string message;
};

Rational make(__int128 num, __int128 den) {
  if (den == 0) throw ParseError{"division by zero"};
  if (den < 0) {
    num = -num;
    den = -den;
  }
  __int128 a = num < 0 ? -num : num, b = den;
  while (b != 0) {  // gcd on the 128-bit intermediates
    const __int128 r = a % b;
    a = b;
    b = r;
  }
  if (a > 1) {
    num /= a;
    den /= a;
  }
  if (num > INT64_MAX || num < -INT64_MAX || den > INT64_MAX) throw ParseError{"overflow"};
  return {int64_t(num), int64_t(den)};
}

Rational apply(const Rational& x, char op, const Rational& y) {
  using I = __int128;  // products of two int64 fit; sums of two such products fit too
  switch (op) {
    case '+':
      return make(I(x.num) * y.den + I(y.num) * x.den, I(x.den) * y.den);
    case '-':
      return make(I(x.num) * y.den - I(y.num) * x.den, I(x.den) * y.den);
    case '*':
      return make(I(x.num) * y.num, I(x.den) * y.den);
    default:
      return make(I(x.num) * y.den, I(x.den) * y.num);  // '/'
  }
}

class Parser {
 public:
  explicit Parser(std::string_view s, std::vector<int64_t>& literals) : s_(s), lits_(literals) {}

  Rational parse() {
    Rational v = expr(0);
    skip_space();
    if (p_ != s_.size()) fail_here("unexpected '" + std::string(1, s_[p_]) + "'");
    return v;
  }

 private:
  void skip_space() {
    while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
  }
  [[noreturn]] void fail_here(const std::string& what) {
    throw ParseError{what + " at " + std::to_string(p_)};
  }
  bool take(std::string_view tok) {
    if (s_.substr(p_, tok.size()) != tok) return false;
    p_ += tok.size();
    return true;
  }
  // The next operator of the given precedence class, normalised to + - * /, or 0.
  char additive() {
    skip_space();
    if (take("+")) return '+';
    if (take("-") || take("\xE2\x88\x92")) return '-';  // ASCII, U+2212
    return 0;
  }
  char multiplicative() {
    skip_space();
    if (take("*") || take("x") || take("X") || take("\xC3\x97") || take("\xC2\xB7")) return '*';
    if (take("/") || take("\xC3\xB7")) return '/';  // '/', '÷'
    return 0;
  }

  Rational expr(int depth) {
    Rational v = term(depth);
    while (char op = additive()) v = apply(v, op, term(depth));
    return v;
  }
  Rational term(int depth) {
    Rational v = factor(depth);
    while (char op = multiplicative()) v = apply(v, op, factor(depth));
    return v;
  }
  Rational factor(int depth) {
    skip_space();
    if (p_ >= s_.size()) fail_here("expression ends early");
    for (const auto& [open, close] : {std::pair{'(', ')'}, std::pair{'[', ']'}}) {
      if (s_[p_] != open) continue;
      if (depth >= kMaxDepth) fail_here("nested too deeply");
      ++p_;
      Rational v = expr(depth + 1);
      skip_space();
      if (p_ >= s_.size() || s_[p_] != close) fail_here(std::string("expected '") + close + "'");
      ++p_;
      return v;
    }
    if (s_[p_] == '-' || s_.substr(p_, 3) == "\xE2\x88\x92") fail_here("unary minus");
    if (!std::isdigit(static_cast<unsigned char>(s_[p_]))) {
      fail_here("unexpected '" + std::string(1, s_[p_]) + "'");
    }
    int64_t n = 0;
    for (; p_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p_])); ++p_) {
      if (__builtin_mul_overflow(n, int64_t(10), &n) ||
          __builtin_add_overflow(n, int64_t(s_[p_] - '0'), &n)) {
        fail_here("number too large");
      }
    }
    if (p_ < s_.size() && (s_[p_] == '.' || s_[p_] == ',')) fail_here("not an integer");
    lits_.push_back(n);
    return {n, 1};
  }

  std::string_view s_;
  size_t p_ = 0;
  std::vector<int64_t>& lits_;
};

}  // namespace

ExpressionValue evaluate_expression(std::string_view text) {
  ExpressionValue r;
  try {
    Parser parser(text, r.literals);
    r.value = parser.parse();
    r.ok = true;
  } catch (const ParseError& e) {
    r.error = e.message;
  }
  return r;
}

}  // namespace fathom::rl
