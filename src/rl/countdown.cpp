// Countdown (the numbers round of the TV game; the RL task of TinyZero): reach a target by
// combining the given numbers with + − × ÷. Rules stated in the question and enforced by the
// check: each given number exactly once, nothing else, binary operations and parentheses only,
// any intermediate value allowed (the expression is evaluated exactly in rationals).
//
// Generation builds a random expression over all the numbers (so a solution exists), keeping
// every intermediate a positive integer as the TV rules do; the trace replays its steps.
#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "rl/answer.h"
#include "rl/expression.h"
#include "rl/task_kinds.h"

namespace fathom::rl::detail {
namespace {

constexpr int kExpressionTries = 64;  // random expressions per draw of numbers
constexpr int kNumberDraws = 4096;

// The tiles: small numbers 1..10 twice each, large 25, 50, 75, 100 once.
std::vector<int64_t> tiles() {
  std::vector<int64_t> t;
  for (int64_t v = 1; v <= 10; ++v) t.insert(t.end(), {v, v});
  t.insert(t.end(), {25, 50, 75, 100});
  return t;
}

struct Node {
  int64_t value;
  char op = 0;  // 0 for a given number
  int left = -1, right = -1;
};

int precedence(const Node& n) { return n.op == 0 ? 3 : (n.op == '+' || n.op == '-') ? 1 : 2; }

// Infix with the parentheses precedence and associativity need (a − (b + c), a / (b * c)).
std::string infix(const std::vector<Node>& nodes, int i) {
  const Node& n = nodes[size_t(i)];
  if (n.op == 0) return std::to_string(n.value);
  const auto child = [&](int c, bool right) {
    const int cp = precedence(nodes[size_t(c)]), pp = precedence(n);
    const bool paren = cp < pp || (right && cp == pp && (n.op == '-' || n.op == '/'));
    const std::string s = infix(nodes, c);
    return paren ? "(" + s + ")" : s;
  };
  return child(n.left, false) + " " + n.op + " " + child(n.right, true);
}

}  // namespace

Problem draw_countdown(const CountdownConfig& c, SplitMix64& rng) {
  const std::vector<int64_t> all_tiles = tiles();
  for (int draw = 0; draw < kNumberDraws; ++draw) {
    // Numbers without replacement (partial Fisher–Yates).
    std::vector<int64_t> pool = all_tiles;
    const int count = int(rng.range(c.min_numbers, c.max_numbers));
    for (int i = 0; i < count; ++i)
      std::swap(pool[size_t(i)], pool[size_t(i) + rng.below(pool.size() - size_t(i))]);
    std::vector<int64_t> numbers(pool.begin(), pool.begin() + count);

    for (int attempt = 0; attempt < kExpressionTries; ++attempt) {
      std::vector<Node> nodes;
      std::vector<int> live;  // roots still to combine
      for (int64_t v : numbers) {
        live.push_back(int(nodes.size()));
        nodes.push_back({v});
      }
      std::string steps;
      while (live.size() > 1) {
        const size_t i = rng.below(live.size());
        size_t j = rng.below(live.size() - 1);
        if (j >= i) ++j;
        int x = live[i], y = live[j];
        if (nodes[size_t(x)].value < nodes[size_t(y)].value) std::swap(x, y);  // x ≥ y
        const int64_t a = nodes[size_t(x)].value, b = nodes[size_t(y)].value;
        std::vector<char> ops = {'+'};
        if (a != b) ops.push_back('-');
        if (b > 1) ops.push_back('*');
        if (b > 1 && a % b == 0) ops.push_back('/');
        const char op = ops[rng.below(ops.size())];
        const int64_t v = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b;
        nodes.push_back({v, op, x, y});
        live.erase(live.begin() + int64_t(std::max(i, j)));
        live.erase(live.begin() + int64_t(std::min(i, j)));
        live.push_back(int(nodes.size()) - 1);
        steps += std::to_string(a) + op + std::to_string(b) + "=" + std::to_string(v);
        if (live.size() > 1) {
          std::vector<int64_t> left;
          for (int k : live) left.push_back(nodes[size_t(k)].value);
          std::sort(left.begin(), left.end());
          steps += ", left " + join_numbers(left) + "\n";
        }
      }
      const int64_t target = nodes.back().value;
      if (target < c.min_target || target > c.max_target) continue;

      Problem p;
      p.kind = TaskKind::kCountdown;
      std::sort(numbers.begin(), numbers.end());
      p.numbers = numbers;
      p.target = target;
      const std::string list = join_numbers(numbers), t = std::to_string(target);
      p.question = "Use the numbers " + list + " to make " + t +
                   ". Use each number exactly once, with + - * / and parentheses.";
      p.key = "countdown " + list + " -> " + t;
      p.answer = infix(nodes, int(nodes.size()) - 1);
      p.solution = "<think>\nmake " + t + " from " + list + "\n" + steps +
                   ", done\n</think>\nAnswer: " + p.answer;
      return p;
    }
  }
  fail(ErrorKind::kInvalidArgument, "countdown: no target in [" + std::to_string(c.min_target) +
                                        ", " + std::to_string(c.max_target) + "] found from " +
                                        std::to_string(c.min_numbers) + ".." +
                                        std::to_string(c.max_numbers) + " numbers");
}

AnswerCheck check_countdown(const Problem& p, std::string_view answer) {
  AnswerCheck r;
  r.answer = answer_expression(answer);
  if (r.answer.empty()) {
    r.note = "no expression in the answer";
    return r;
  }
  const ExpressionValue v = evaluate_expression(r.answer);
  if (!v.ok) {
    r.note = "invalid expression: " + v.error;
    return r;
  }
  std::vector<int64_t> used = v.literals, given = p.numbers;
  std::sort(used.begin(), used.end());
  std::sort(given.begin(), given.end());
  if (used != given) {
    r.note = "uses " + join_numbers(used) + ", must use " + join_numbers(given) + " exactly once";
    return r;
  }
  r.correct = v.value == Rational{p.target, 1};
  if (!r.correct) {
    // Appended piecewise: `"/" + std::string` trips GCC 12's -Wrestrict false positive.
    r.note = "evaluates to " + std::to_string(v.value.num);
    if (v.value.den != 1) r.note.append("/").append(std::to_string(v.value.den));
    r.note.append(", target ").append(std::to_string(p.target));
  }
  return r;
}

}  // namespace fathom::rl::detail
