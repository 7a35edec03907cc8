#include "model/rope.h"

#include <algorithm>
#include <cmath>

namespace fathom {
namespace {

double yarn_mscale(double factor, double mscale) {
  return factor <= 1.0 ? 1.0 : 0.1 * mscale * std::log(factor) + 1.0;
}

}  // namespace

RopeTables make_rope_tables(const ModelConfig& c) {
  const int64_t dim = c.qk_rope_head_dim;
  const double theta = c.rope_theta;
  RopeTables t;
  t.inv_freq.resize(size_t(dim / 2));
  for (int64_t i = 0; i < dim / 2; ++i) {
    // float32 like the reference's torch.arange(0, d, 2, float32) / d
    const float exponent = float(2 * i) / float(dim);
    t.inv_freq[size_t(i)] = float(1.0 / std::pow(theta, double(exponent)));
  }
  double scale = 1.0 / std::sqrt(double(c.qk_head_dim()));
  if (c.rope_scaling) {
    const RopeScaling& r = *c.rope_scaling;
    const double orig = double(r.original_max_position_embeddings);
    auto correction_dim = [&](double rotations) {
      return double(dim) * std::log(orig / (rotations * 2.0 * M_PI)) / (2.0 * std::log(theta));
    };
    const double low = std::max(std::floor(correction_dim(r.beta_fast)), 0.0);
    double high = std::min(std::ceil(correction_dim(r.beta_slow)), double(dim - 1));
    if (low == high) high += 0.001;  // avoid a zero-width ramp
    for (int64_t i = 0; i < dim / 2; ++i) {
      const float ramp = std::clamp(float((double(i) - low) / (high - low)), 0.0f, 1.0f);
      const float smooth = 1.0f - ramp;  // 1: keep the frequency (extrapolate); 0: divide by factor
      const float inv = t.inv_freq[size_t(i)];
      t.inv_freq[size_t(i)] = inv / float(r.factor) * (1.0f - smooth) + inv * smooth;
    }
    t.cos_sin_scale = float(yarn_mscale(r.factor, r.mscale) / yarn_mscale(r.factor, r.mscale_all_dim));
    if (r.mscale_all_dim != 0.0) {
      const double m = yarn_mscale(r.factor, r.mscale_all_dim);
      scale *= m * m;
    }
  }
  t.softmax_scale = float(scale);
  return t;
}

void rope_angles(int64_t pos, const RopeTables& rope, float* cos, float* sin) {
  for (size_t i = 0; i < rope.inv_freq.size(); ++i) {
    // Angle in double as the reference does: positions reach 163840 and an f32 product would
    // lose the low bits of the phase.
    const double angle = double(pos) * double(rope.inv_freq[i]);
    cos[i] = float(std::cos(angle) * rope.cos_sin_scale);
    sin[i] = float(std::sin(angle) * rope.cos_sin_scale);
  }
}

void rotate_interleaved(float* x, const float* cos, const float* sin, int64_t pairs) {
  for (int64_t i = 0; i < pairs; ++i) {
    const float even = x[2 * i], odd = x[2 * i + 1];
    x[2 * i] = even * cos[i] - odd * sin[i];
    x[2 * i + 1] = even * sin[i] + odd * cos[i];
  }
}

void apply_rope_interleaved(float* x, int64_t pos, const RopeTables& rope) {
  const size_t pairs = rope.inv_freq.size();
  std::vector<float> cos(pairs), sin(pairs);
  rope_angles(pos, rope, cos.data(), sin.data());
  rotate_interleaved(x, cos.data(), sin.data(), int64_t(pairs));
}

}  // namespace fathom
