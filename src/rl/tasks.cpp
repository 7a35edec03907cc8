// Task registry: names, config validation, the hash split and seeded generation (tasks.h).
#include "rl/tasks.h"

#include <string>

#include "core/error.h"
#include "rl/rng.h"
#include "rl/task_kinds.h"

namespace fathom::rl {
namespace {

constexpr uint64_t kMaxAttempts = 1 << 20;  // draws per problem before the split counts as empty
constexpr std::string_view kSplitSalt = "fathom-rl-split-v1:";

void require(bool ok, const std::string& what) {
  if (!ok) fail(ErrorKind::kInvalidArgument, "task config: " + what);
}

}  // namespace

TaskKind parse_task_kind(std::string_view name) {
  if (name == "arithmetic") return TaskKind::kArithmetic;
  if (name == "countdown") return TaskKind::kCountdown;
  if (name == "sort") return TaskKind::kSort;
  if (name == "offtopic") return TaskKind::kOffTopic;
  fail(ErrorKind::kInvalidArgument, "unknown task '" + std::string(name) +
                                        "' (expected arithmetic, countdown, sort or offtopic)");
}

const char* task_kind_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::kArithmetic:
      return "arithmetic";
    case TaskKind::kCountdown:
      return "countdown";
    case TaskKind::kSort:
      return "sort";
    case TaskKind::kOffTopic:
      return "offtopic";
  }
  return "?";
}

Split parse_split(std::string_view name) {
  if (name == "train") return Split::kTrain;
  if (name == "heldout") return Split::kHeldOut;
  fail(ErrorKind::kInvalidArgument,
       "unknown split '" + std::string(name) + "' (expected train or heldout)");
}

const char* split_name(Split split) { return split == Split::kTrain ? "train" : "heldout"; }

void TaskConfig::validate() const {
  require(held_out_per_mille >= 1 && held_out_per_mille <= 999,
          "held_out_per_mille " + std::to_string(held_out_per_mille) + " outside [1, 999]");
  const ArithmeticConfig& a = arithmetic;
  require(a.add || a.sub || a.mul, "arithmetic needs at least one of add, sub, mul");
  require(a.min_digits >= 1 && a.min_digits <= a.max_digits && a.max_digits <= 18,
          "arithmetic digits need 1 ≤ min_digits (" + std::to_string(a.min_digits) +
              ") ≤ max_digits (" + std::to_string(a.max_digits) + ") ≤ 18");
  require(!a.mul || (a.mul_max_digits >= a.min_digits && a.mul_max_digits <= 9),
          "arithmetic mul_max_digits " + std::to_string(a.mul_max_digits) +
              " must be in [min_digits, 9]");
  const CountdownConfig& c = countdown;
  require(c.min_numbers >= 2 && c.min_numbers <= c.max_numbers && c.max_numbers <= 6,
          "countdown needs 2 ≤ min_numbers ≤ max_numbers ≤ 6");
  require(c.min_target >= 1 && c.min_target <= c.max_target,
          "countdown needs 1 ≤ min_target ≤ max_target");
  const SortConfig& s = sort;
  require(s.min_count >= 2 && s.min_count <= s.max_count && s.max_count <= 10,
          "sort needs 2 ≤ min_count ≤ max_count ≤ 10");
  require(s.max_value >= 1 && s.max_value <= 999, "sort max_value must be in [1, 999]");
}

Split split_of_key(std::string_view key, int held_out_per_mille) {
  const uint64_t h = hash_key(std::string(kSplitSalt) + std::string(key));
  return h % 1000 < uint64_t(held_out_per_mille) ? Split::kHeldOut : Split::kTrain;
}

Problem generate_problem(const TaskConfig& config, Split split, uint64_t seed, uint64_t index) {
  config.validate();
  const uint64_t stream = mix64(mix64(seed ^ (uint64_t(config.kind) << 56)) + index);
  for (uint64_t attempt = 0; attempt < kMaxAttempts; ++attempt) {
    SplitMix64 rng(mix64(stream + attempt));
    Problem p;
    switch (config.kind) {
      case TaskKind::kArithmetic:
        p = detail::draw_arithmetic(config.arithmetic, rng);
        break;
      case TaskKind::kCountdown:
        p = detail::draw_countdown(config.countdown, rng);
        break;
      case TaskKind::kSort:
        p = detail::draw_sort(config.sort, rng);
        break;
      case TaskKind::kOffTopic:
        p = detail::draw_off_topic(rng);
        break;
    }
    if (split_of_key(p.key, config.held_out_per_mille) == split) return p;
  }
  fail(ErrorKind::kResourceExhausted, std::string("no ") + task_kind_name(config.kind) +
                                          " problem of the " + split_name(split) + " split in " +
                                          std::to_string(kMaxAttempts) + " draws");
}

std::vector<Problem> generate_problems(const TaskConfig& config, Split split, uint64_t seed,
                                       size_t count, uint64_t first_index) {
  std::vector<Problem> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i)
    out.push_back(generate_problem(config, split, seed, first_index + i));
  return out;
}

}  // namespace fathom::rl
