// pass@k, the probability that at least one of k completions of a problem is correct, estimated
// without bias from n ≥ k samples of which c are correct (Chen et al. 2021, "Evaluating Large
// Language Models Trained on Code", arXiv 2107.03374, §2.1 eq. 1 and its Figure 3 numpy code):
//
//   pass@k = E_problems[ 1 − C(n − c, k) / C(n, k) ]
//
// Drawing k of the n samples without replacement, C(n − c, k) / C(n, k) is the chance that all k
// are wrong. The ratio is computed as the product Π_{i = n−c+1}^{n} (1 − k / i), which never forms
// the (huge) binomials. Taking the first k samples instead (or n = k) is unbiased too but has a
// larger variance; with n = k the estimator is "any of the k correct".
#pragma once

#include <cstdint>
#include <span>

namespace fathom::rl {

// One problem: n samples, c correct, 1 ≤ k ≤ n, 0 ≤ c ≤ n (Error kInvalidArgument otherwise).
double pass_at_k(int64_t n, int64_t c, int64_t k);

// The mean of pass_at_k over problems, each with n samples and correct[i] of them correct.
double mean_pass_at_k(std::span<const int64_t> correct, int64_t n, int64_t k);

}  // namespace fathom::rl
