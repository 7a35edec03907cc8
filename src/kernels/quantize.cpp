#include "kernels/quantize.h"

#include <algorithm>
#include <cmath>

#include "core/dtype.h"
#include "core/quant_format.h"

namespace fathom {
namespace {

constexpr int kGroup = int(kQuantGroup);

// Q4 code of x: round-half-even(x · inverse) clamped to [-8, 7]. Clamping first to those integer
// bounds gives the same result (NaN goes to -8), and then adding and subtracting 1.5·2^23 rounds
// to nearest even in plain SSE2 arithmetic, so the error loop below vectorizes (std::nearbyint is
// a library call on baseline x86-64, and this loop is most of `fathom quantize --type q4`).
float q4_code_value(float x, float inverse) {
  const float v = x * inverse;
  const float clamped = v > 7.0f ? 7.0f : (v >= -8.0f ? v : -8.0f);
  return (clamped + 12582912.0f) - 12582912.0f;
}

int q4_code(float x, float inverse) { return int(q4_code_value(x, inverse)); }

// Squared error of one group coded with scale d (already float16-representable).
float q4_error(const float* x, float d) {
  const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
  // Eight partial sums in a fixed order: a vector's worth of independent adds (a single running
  // float sum would serialize on add latency; the compiler may not reorder it for us).
  float partial[8] = {};
  for (int i = 0; i < kGroup; i += 8) {
    for (int j = 0; j < 8; ++j) {
      const float e = x[i + j] - q4_code_value(x[i + j], inverse) * d;
      partial[j] += e * e;
    }
  }
  float error = 0.0f;
  for (float p : partial) error += p;
  return error;
}

}  // namespace

void quantize_row_q8_0(const float* x, int64_t cols, int8_t* codes, uint16_t* scales) {
  for (int64_t g = 0; g < cols / kGroup; ++g) {
    const float* v = x + g * kGroup;
    float amax = 0.0f;
    for (int i = 0; i < kGroup; ++i) amax = std::max(amax, std::fabs(v[i]));
    const uint16_t scale = f32_to_f16(amax / 127.0f);
    const float d = f16_to_f32(scale);
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < kGroup; ++i) {
      codes[g * kGroup + i] = int8_t(std::clamp(int(std::nearbyint(v[i] * inverse)), -127, 127));
    }
    scales[g] = scale;
  }
}

void quantize_row_q4_0(const float* x, int64_t cols, uint8_t* codes, uint16_t* scales) {
  for (int64_t g = 0; g < cols / kGroup; ++g) {
    const float* v = x + g * kGroup;
    float amax = 0.0f;
    for (int i = 0; i < kGroup; ++i) amax = std::max(amax, std::fabs(v[i]));
    uint16_t best = 0;
    float best_error = q4_error(v, 0.0f);
    for (int step = 0; step <= 10 && amax > 0.0f; ++step) {
      const float k = 6.0f + 0.25f * float(step);
      for (const float sign : {1.0f, -1.0f}) {
        const uint16_t candidate = f32_to_f16(sign * amax / k);
        const float error = q4_error(v, f16_to_f32(candidate));
        if (error < best_error) best_error = error, best = candidate;
      }
    }
    const float d = f16_to_f32(best);
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    uint8_t* out = codes + g * (kGroup / 2);
    for (int j = 0; j < kGroup / 2; ++j) {
      const int lo = q4_code(v[j], inverse) + 8, hi = q4_code(v[j + kGroup / 2], inverse) + 8;
      out[j] = uint8_t(lo | (hi << 4));
    }
    scales[g] = best;
  }
}

ActivationScale q8_activation_scale(float amax) {
  if (!(amax >= kActivationTiny)) return {0.0f, 0.0f};
  return {amax / 127.0f, 127.0f / amax};
}

int8_t q8_activation_code(float v) {
  if (std::fabs(v) <= 127.0f) return int8_t(std::nearbyint(v));
  return v > 0.0f ? int8_t(127) : int8_t(-127);
}

void quantize_activation_q8(const float* x, int64_t cols, int8_t* codes, float* scales) {
  for (int64_t g = 0; g < cols / kGroup; ++g) {
    const float* v = x + g * kGroup;
    float amax = 0.0f;
    for (int i = 0; i < kGroup; ++i) amax = std::max(amax, std::fabs(v[i]));
    const ActivationScale s = q8_activation_scale(amax);
    for (int i = 0; i < kGroup; ++i) codes[g * kGroup + i] = q8_activation_code(v[i] * s.inverse);
    scales[g] = s.d;
  }
}

void dequantize_row_q8_0(const int8_t* codes, const uint16_t* scales, int64_t cols, float* out) {
  for (int64_t c = 0; c < cols; ++c) out[c] = float(codes[c]) * f16_to_f32(scales[c / kGroup]);
}

void dequantize_row_q4_0(const uint8_t* codes, const uint16_t* scales, int64_t cols, float* out) {
  for (int64_t g = 0; g < cols / kGroup; ++g) {
    const float d = f16_to_f32(scales[g]);
    const uint8_t* in = codes + g * (kGroup / 2);
    for (int j = 0; j < kGroup / 2; ++j) {
      out[g * kGroup + j] = float(int(in[j] & 0xf) - 8) * d;
      out[g * kGroup + j + kGroup / 2] = float(int(in[j] >> 4) - 8) * d;
    }
  }
}

}  // namespace fathom
