// parallel_for over items of unequal cost (experts with different token counts, causal attention
// blocks with more or fewer keys): the items are cut into runs of about equal total cost, so one
// barrier covers work that would otherwise need one parallel_for per item.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "core/thread_pool.h"

namespace fathom {

// Calls item(i) for every i in [0, n), where item i costs cost_prefix[i + 1] - cost_prefix[i]
// (cost_prefix: n + 1 non-decreasing sums starting at 0). The items are cut into up to
// kWeightedParts contiguous parts of about equal cost (a part takes the items whose cost starts
// in its share), and parallel_for hands whole parts to threads. Each item runs on one thread, in
// one piece, so results do not depend on the thread count. The part count is fixed rather than
// num_threads(), which would block inside a nested call (the pool's mutex is held).
inline constexpr int64_t kWeightedParts = 128;

template <typename F>
void parallel_for_weighted(std::span<const int64_t> cost_prefix, F&& item) {
  const int64_t n = int64_t(cost_prefix.size()) - 1;
  if (n <= 0) return;
  const int64_t total = cost_prefix[size_t(n)];
  const int64_t parts = std::min(kWeightedParts, n);
  auto first_item = [&](int64_t part) -> int64_t {
    if (part >= parts) return n;
    // ⌊total · part / parts⌋ without the product overflowing.
    const int64_t bound = total / parts * part + total % parts * part / parts;
    return std::lower_bound(cost_prefix.begin(), cost_prefix.begin() + n, bound) -
           cost_prefix.begin();
  };
  parallel_for(parts, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = first_item(b), end = first_item(e); i < end; ++i) item(i);
  });
}

}  // namespace fathom
