#include "train/mlp_train.h"

#include "train/ops.h"

namespace fathom {

using namespace train_ops;

MlpParams MlpParams::bind(ParamStore& s, const std::string& prefix) {
  return MlpParams{&s.get(prefix + "gate_proj.weight"), &s.get(prefix + "up_proj.weight"),
                   &s.get(prefix + "down_proj.weight")};
}

void MlpScratch::reserve(int64_t rows, int64_t width) {
  dg.resize(size_t(rows * width));
  du.resize(size_t(rows * width));
  dh.resize(size_t(rows * width));
}

void mlp_forward(const MlpParams& p, const float* x, int64_t n, MlpActivations a, float* y,
                 GemmPrecision precision) {
  linear_forward(x, n, *p.gate_proj, a.g, precision);    // [n, width]
  linear_forward(x, n, *p.up_proj, a.u, precision);      // [n, width]
  swiglu_forward(a.g, a.u, n * p.width(), a.h);          // [n, width]
  linear_forward(a.h, n, *p.down_proj, y, precision);    // [n, hidden]
}

void mlp_backward(const MlpParams& p, const float* x, int64_t n, MlpActivations a,
                  const float* dy, MlpActivations d, float* dx, bool accumulate_dx,
                  GemmPrecision precision) {
  if (n == 0) return;
  linear_backward(a.h, dy, n, *p.down_proj, d.h, false, precision);
  swiglu_backward(a.g, a.u, d.h, n * p.width(), d.g, d.u);
  linear_backward(x, d.g, n, *p.gate_proj, dx, accumulate_dx, precision);
  linear_backward(x, d.u, n, *p.up_proj, dx, true, precision);
}

MlpTrain::MlpTrain(MlpParams params, int64_t max_tokens, GemmPrecision precision)
    : p_(params), precision_(precision) {
  const auto size = size_t(max_tokens * p_.width());
  g_.resize(size);
  u_.resize(size);
  h_.resize(size);
  scratch_.reserve(max_tokens, p_.width());
}

void MlpTrain::forward(const float* x, int64_t n, float* y) {
  x_ = x;
  n_ = n;
  mlp_forward(p_, x, n, {g_.data(), u_.data(), h_.data()}, y, precision_);
}

void MlpTrain::backward(const float* dy, float* dx) {
  mlp_backward(p_, x_, n_, {g_.data(), u_.data(), h_.data()}, dy, scratch_.rows(0, p_.width()),
               dx, true, precision_);
}

}  // namespace fathom
