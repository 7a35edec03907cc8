// The unbiased pass@k estimator (pass_at_k.h).
#include "rl/pass_at_k.h"

#include <string>

#include "core/error.h"

namespace fathom::rl {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (n < 1 || k < 1 || k > n || c < 0 || c > n) {
    fail(ErrorKind::kInvalidArgument, "pass@k needs 1 ≤ k ≤ n and 0 ≤ c ≤ n (n " +
                                          std::to_string(n) + ", c " + std::to_string(c) + ", k " +
                                          std::to_string(k) + ")");
  }
  if (n - c < k) return 1.0;  // every draw of k holds a correct sample
  // C(n − c, k) / C(n, k) = Π_{i = n−c+1}^{n} (1 − k/i)  (Chen et al. 2021, Figure 3)
  double all_wrong = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i) all_wrong *= 1.0 - double(k) / double(i);
  return 1.0 - all_wrong;
}

double mean_pass_at_k(std::span<const int64_t> correct, int64_t n, int64_t k) {
  if (correct.empty()) return 0.0;
  double sum = 0.0;
  for (int64_t c : correct) sum += pass_at_k(n, c, k);
  return sum / double(correct.size());
}

}  // namespace fathom::rl
