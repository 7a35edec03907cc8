// Exact evaluation of arithmetic expressions over integers with + − × ÷ and parentheses, in
// rational arithmetic (Countdown answers: "(100 - 4) / 8 * 7" must equal the target exactly; no
// floating point rounding can make a wrong answer right).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fathom::rl {

struct Rational {
  int64_t num = 0;
  int64_t den = 1;  // > 0, gcd(num, den) = 1
  bool operator==(const Rational&) const = default;
};

struct ExpressionValue {
  bool ok = false;
  Rational value;
  std::vector<int64_t> literals;  // the integer literals, in order
  std::string error;              // why not ok: "division by zero", "unexpected ')' at 7", ...
};

// Grammar: expr = term {("+" | "-") term}; term = factor {("*" | "/") factor};
// factor = integer | "(" expr ")" | "[" expr "]". Operators also as "−" (U+2212), "×", "x", "X",
// "·", "÷". Whitespace anywhere between tokens. No unary minus (Countdown combines the given
// numbers with binary operations only), no decimal points. Overflow of an int64 numerator or
// denominator, nesting deeper than 64, division by zero and junk are errors.
ExpressionValue evaluate_expression(std::string_view text);

}  // namespace fathom::rl
