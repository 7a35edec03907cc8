// Rotary position embedding with YaRN context extension, as DeepSeek-V2/V3 use it.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace fathom {

struct RopeTables {
  std::vector<float> inv_freq;   // [qk_rope_head_dim / 2]
  float cos_sin_scale = 1.0f;    // mscale(factor, mscale) / mscale(factor, mscale_all_dim)
  float softmax_scale = 0.0f;    // qk_head_dim^-0.5 * mscale(factor, mscale_all_dim)^2
};

// YaRN (Peng et al. 2023, arXiv 2309.00071, §3.2 "NTK-by-parts" + §3.4 attention temperature),
// in the DeepSeek form (HF modeling_deepseek.py DeepseekV2YarnRotaryEmbedding):
//   inv_freq_i = theta^(-2i/d);  blended  inv/factor * (1 - smooth_i) + inv * smooth_i,
//   smooth_i = 1 - clamp((i - low) / (high - low), 0, 1),
//   low = floor(cd(beta_fast)), high = ceil(cd(beta_slow)) clamped to [0, d-1],
//   cd(r) = d * ln(orig / (2 pi r)) / (2 ln theta);  mscale(s, m) = 0.1 m ln(s) + 1 (s > 1).
RopeTables make_rope_tables(const ModelConfig& config);

// Rotates adjacent pairs (x[2i], x[2i+1]) by angle pos * inv_freq[i] in place (the interleaved
// layout of HF-format DeepSeek weights; official inference/model.py apply_rotary_emb).
void apply_rope_interleaved(float* x, int64_t pos, const RopeTables& rope);

// The same rotation split in two, so one position's angles serve every head (the sin/cos are the
// costly part): rope_angles fills cos/sin [qk_rope_head_dim / 2] for `pos`, and
// rotate_interleaved applies them; together they give exactly apply_rope_interleaved's floats.
void rope_angles(int64_t pos, const RopeTables& rope, float* cos, float* sin);
void rotate_interleaved(float* x, const float* cos, const float* sin, int64_t pairs);

}  // namespace fathom
