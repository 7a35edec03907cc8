// Weight-absorbed MLA attention (DeepSeek-V2 report §2.1.3): with W_UK and W_UV the key and value
// halves of head h's rows of kv_b_proj,
//   q_nope·k_nope = q_nope·(W_UK c) = (W_UKᵀ q_nope)·c      (absorb W_UK into the query)
//   Σ p v = Σ p W_UV c = W_UV (Σ p c)                        (apply W_UV after attention)
// so every head attends over the cached latents directly, like multi-query attention with a
// (kv_lora_rank + qk_rope_head_dim)-wide shared key, and no per-head key or value is ever
// materialized. This is the decode path. Because the key is shared, all heads' queries go through
// the cache together, as the rows of one matrix product: the cache is read once per step (twice:
// scores, then Σ p c), not once per head.
#include <algorithm>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/mla.h"
#include "model/scratch.h"

namespace fathom {
namespace {

// Score rows ((position, head) pairs) per pass over the cache: bounds the score buffers
// [rows, total] when a long chunk takes this path.
constexpr int64_t kScoreRows = 256;
// Score elements per softmax range.
constexpr int64_t kSoftmaxWork = 1 << 14;

// The calling thread's buffers (model/scratch.h).
thread_local std::vector<float> t_q_latent, t_q_rope, t_scores, t_rope_scores, t_o_latent;
thread_local std::vector<float> t_head;  // one head's rows, gathered (n > 1)

}  // namespace

void mla_attend_absorbed(const ModelConfig& c, const AttentionWeights& w, float softmax_scale,
                         const float* q, int64_t n, const LayerKVCache& cache, int64_t total,
                         float* o) {
  const KernelTable& k = kernels();
  const int64_t heads = c.num_attention_heads, nope = c.qk_nope_head_dim,
                rope_dim = c.qk_rope_head_dim, vdim = c.v_head_dim, rank = c.kv_lora_rank;
  const int64_t qk_dim = nope + rope_dim, kv_dim = nope + vdim, start = total - n;

  // Row (s, h) = s * heads + h of every [n * heads, ...] buffer below.
  float* q_latent = scratch(t_q_latent, n * heads * rank);  // W_UKᵀ q_nope
  float* q_rope = scratch(t_q_rope, n * heads * rope_dim);  // q_rope, gathered
  float* o_latent = scratch(t_o_latent, n * heads * rank);  // Σ_t p_t c_t

  // Absorb W_UK [nope, rank] of each head into its queries.
  parallel_for(heads, 1, [&](int64_t b, int64_t e) {
    for (int64_t h = b; h < e; ++h) {
      const MatrixRef w_uk = row_slice(w.kv_b_proj, h * kv_dim, nope);
      if (n == 1) {
        k.linear_transposed(q + h * qk_dim, 1, w_uk, q_latent + h * rank);
      } else {
        float* q_nope = scratch(t_head, n * (nope + rank));  // [n, nope]
        float* latent = q_nope + n * nope;                   // [n, rank]
        for (int64_t s = 0; s < n; ++s) {
          std::copy_n(q + (s * heads + h) * qk_dim, nope, q_nope + s * nope);
        }
        k.linear_transposed(q_nope, n, w_uk, latent);
        for (int64_t s = 0; s < n; ++s) {
          std::copy_n(latent + s * rank, rank, q_latent + (s * heads + h) * rank);
        }
      }
      for (int64_t s = 0; s < n; ++s) {
        std::copy_n(q + (s * heads + h) * qk_dim + nope, rope_dim,
                    q_rope + (s * heads + h) * rope_dim);
      }
    }
  });

  // Attend, a block of query positions at a time; position s sees slots 0 .. start+s.
  const int64_t positions = std::max<int64_t>(1, kScoreRows / heads);
  for (int64_t s0 = 0; s0 < n; s0 += positions) {
    const int64_t s1 = std::min(n, s0 + positions), rows = (s1 - s0) * heads, seen = start + s1;
    const MatrixRef latent = f32_matrix(cache.latent.data(), seen, rank);
    float* scores = scratch(t_scores, rows * seen);            // [rows, seen]
    float* rope_scores = scratch(t_rope_scores, rows * seen);  // [rows, seen]
    k.linear(q_latent + s0 * heads * rank, rows, latent, scores);
    k.linear(q_rope + s0 * heads * rope_dim, rows,
             f32_matrix(cache.rope_key.data(), seen, rope_dim), rope_scores);
    parallel_for(rows, std::max<int64_t>(1, kSoftmaxWork / seen), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t visible = start + s0 + r / heads + 1;
        float* p = scores + r * seen;
        const float* pr = rope_scores + r * seen;
        for (int64_t t = 0; t < visible; ++t) p[t] = (p[t] + pr[t]) * softmax_scale;
        k.softmax(p, visible);
        std::fill(p + visible, p + seen, 0.0f);  // masked: exact zeros add nothing below
      }
    });
    k.linear_transposed(scores, rows, latent, o_latent + s0 * heads * rank);
  }

  // o[s, h] = W_UV o_latent[s, h], W_UV [v, rank] per head.
  parallel_for(heads, 1, [&](int64_t b, int64_t e) {
    for (int64_t h = b; h < e; ++h) {
      const MatrixRef w_uv = row_slice(w.kv_b_proj, h * kv_dim + nope, vdim);
      if (n == 1) {
        k.linear(o_latent + h * rank, 1, w_uv, o + h * vdim);
        continue;
      }
      float* latent = scratch(t_head, n * (rank + vdim));  // [n, rank]
      float* head_out = latent + n * rank;                 // [n, v]
      for (int64_t s = 0; s < n; ++s) {
        std::copy_n(o_latent + (s * heads + h) * rank, rank, latent + s * rank);
      }
      k.linear(latent, n, w_uv, head_out);
      for (int64_t s = 0; s < n; ++s) {
        std::copy_n(head_out + s * vdim, vdim, o + (s * heads + h) * vdim);
      }
    }
  });
}

}  // namespace fathom
