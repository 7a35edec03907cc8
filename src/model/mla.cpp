#include "model/mla.h"

#include <algorithm>
#include <vector>

#include "core/parallel_weighted.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/scratch.h"

namespace fathom {
namespace {

// Query rows per task of the decompressed path: a task's scores [rows, keys] and one head's keys
// and values are what the kernels sweep, so they should sit in L2 for moderate contexts.
constexpr int64_t kQueryBlock = 64;
// Cached tokens per key/value decompression task.
constexpr int64_t kKeyBlock = 256;
// Tokens per RoPE/cache-write range: ~1 µs of work each.
constexpr int64_t kRopeGrain = 16;

// The calling thread's buffers (model/scratch.h).
thread_local std::vector<float> t_q, t_q_compressed, t_kv_a, t_attended;  // mla_forward
thread_local std::vector<float> t_keys, t_values;  // mla_attend_naive, head-major
thread_local std::vector<float> t_task;            // one attention task's rows

// Queries [n, heads, qk_nope + qk_rope]: q_b_proj(q_a_layernorm(q_a_proj(x))) or q_proj(x).
void project_queries(const ModelConfig& c, const AttentionWeights& w, const float* x, int64_t n,
                     float* q) {
  const KernelTable& k = kernels();
  if (c.q_lora_rank) {
    const int64_t rank = *c.q_lora_rank;
    float* compressed = scratch(t_q_compressed, n * rank);  // c_Q, [n, q_lora_rank]
    k.linear(x, n, *w.q_a_proj, compressed);
    for (int64_t t = 0; t < n; ++t) {
      float* row = compressed + t * rank;
      k.rms_norm(row, w.q_a_layernorm.data(), rank, float(c.rms_norm_eps), row);
    }
    k.linear(compressed, n, *w.q_b_proj, q);
  } else {
    k.linear(x, n, *w.q_proj, q);
  }
}

}  // namespace

void mla_forward(const ModelConfig& c, const AttentionWeights& w, const RopeTables& rope,
                 const float* x, std::span<const AttentionSegment> segments, AttentionPath path,
                 float* out) {
  const KernelTable& k = kernels();
  const int64_t heads = c.num_attention_heads, nope = c.qk_nope_head_dim,
                rope_dim = c.qk_rope_head_dim, rank = c.kv_lora_rank, qk_dim = nope + rope_dim;
  int64_t rows = 0;
  for (const auto& s : segments) rows += s.n;

  float* q = scratch(t_q, rows * heads * qk_dim);  // [rows, heads, qk_dim]
  project_queries(c, w, x, rows, q);
  // [c_KV ; k_R] = kv_a_proj_with_mqa(x): [rows, kv_lora_rank + qk_rope_head_dim]; the cache keeps
  // kv_a_layernorm(c_KV) and RoPE(k_R).
  float* kv_a = scratch(t_kv_a, rows * (rank + rope_dim));
  k.linear(x, rows, w.kv_a_proj_with_mqa, kv_a);
  float* attended = scratch(t_attended, rows * heads * c.v_head_dim);  // [rows, heads * v_head]

  int64_t row0 = 0;
  for (const AttentionSegment& s : segments) {
    LayerKVCache& cache = *s.cache;
    float* qs = q + row0 * heads * qk_dim;
    parallel_for(s.n, kRopeGrain, [&](int64_t b, int64_t e) {
      std::vector<float> angles(static_cast<size_t>(rope_dim));  // cos [pairs] ; sin [pairs]
      const int64_t pairs = rope_dim / 2;
      for (int64_t t = b; t < e; ++t) {
        const int64_t slot = s.start + t;
        rope_angles(s.position_base + slot, rope, angles.data(), angles.data() + pairs);
        for (int64_t h = 0; h < heads; ++h) {
          rotate_interleaved(qs + (t * heads + h) * qk_dim + nope, angles.data(),
                             angles.data() + pairs, pairs);
        }
        const float* row = kv_a + (row0 + t) * (rank + rope_dim);
        k.rms_norm(row, w.kv_a_layernorm.data(), rank, float(c.rms_norm_eps),
                   &cache.latent[size_t(slot * rank)]);
        float* key = &cache.rope_key[size_t(slot * rope_dim)];
        std::copy(row + rank, row + rank + rope_dim, key);
        rotate_interleaved(key, angles.data(), angles.data() + pairs, pairs);
      }
    });
    const int64_t total = s.start + s.n;
    AttentionPath chosen = path;
    if (chosen == AttentionPath::kAuto) {
      // Decompressing keys costs total x kv_b_proj; it pays only when most of them are new.
      chosen = 2 * s.n >= total ? AttentionPath::kNaive : AttentionPath::kAbsorbed;
    }
    float* o = attended + row0 * heads * c.v_head_dim;
    if (chosen == AttentionPath::kNaive) {
      mla_attend_naive(c, w, rope.softmax_scale, qs, s.n, cache, total, o);
    } else {
      mla_attend_absorbed(c, w, rope.softmax_scale, qs, s.n, cache, total, o);
    }
    row0 += s.n;
  }
  k.linear(attended, rows, w.o_proj, out);
}

void mla_attend_naive(const ModelConfig& c, const AttentionWeights& w, float softmax_scale,
                      const float* q, int64_t n, const LayerKVCache& cache, int64_t total,
                      float* o) {
  const KernelTable& k = kernels();
  const int64_t heads = c.num_attention_heads, nope = c.qk_nope_head_dim,
                rope_dim = c.qk_rope_head_dim, vdim = c.v_head_dim;
  const int64_t qk_dim = nope + rope_dim, kv_dim = nope + vdim, start = total - n;

  // [k_nope ; v] per head = kv_b_proj(c_KV) for every cached token, stored head-major so each
  // head's keys [total, nope] and values [total, v] are matrices the kernels read directly.
  // Tasks: (head, block of kKeyBlock tokens), each row of the result computed whole by one call.
  float* keys = scratch(t_keys, heads * total * nope);
  float* values = scratch(t_values, heads * total * vdim);
  const int64_t key_blocks = (total + kKeyBlock - 1) / kKeyBlock;
  parallel_for(heads * key_blocks, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t h = i / key_blocks, t0 = (i % key_blocks) * kKeyBlock;
      const int64_t count = std::min(kKeyBlock, total - t0);
      const float* latent = cache.latent.data() + t0 * c.kv_lora_rank;
      k.linear(latent, count, row_slice(w.kv_b_proj, h * kv_dim, nope),
               keys + (h * total + t0) * nope);
      k.linear(latent, count, row_slice(w.kv_b_proj, h * kv_dim + nope, vdim),
               values + (h * total + t0) * vdim);
    }
  });

  // Tasks: (head, block of query rows s0..s1), which see keys 0 .. start+s1-1 (causal):
  //   P = softmax((Q_nope K_nopeᵀ + Q_rope K_ropeᵀ) * softmax_scale), masked per row
  //   O = P V                                                  (V2 report eqs. 16-18)
  // Masked entries of P are exact zeros, which add nothing to O.
  const int64_t query_blocks = (n + kQueryBlock - 1) / kQueryBlock;
  std::vector<int64_t> cost(size_t(heads * query_blocks + 1), 0);
  for (int64_t i = 0; i < heads * query_blocks; ++i) {
    const int64_t s0 = (i % query_blocks) * kQueryBlock, s1 = std::min(n, s0 + kQueryBlock);
    cost[size_t(i + 1)] = cost[size_t(i)] + (s1 - s0) * (start + s1);
  }
  parallel_for_weighted(cost, [&](int64_t i) {
    const int64_t h = i / query_blocks, s0 = (i % query_blocks) * kQueryBlock;
    const int64_t s1 = std::min(n, s0 + kQueryBlock), rows = s1 - s0, seen = start + s1;
    float* q_nope = scratch(t_task, rows * (qk_dim + 2 * seen + vdim));  // [rows, nope]
    float* q_rope = q_nope + rows * nope;                                // [rows, rope]
    float* scores = q_rope + rows * rope_dim;                            // [rows, seen]
    float* rope_scores = scores + rows * seen;                           // [rows, seen]
    float* out = rope_scores + rows * seen;                              // [rows, v]
    for (int64_t r = 0; r < rows; ++r) {
      const float* qr = q + ((s0 + r) * heads + h) * qk_dim;
      std::copy_n(qr, nope, q_nope + r * nope);
      std::copy_n(qr + nope, rope_dim, q_rope + r * rope_dim);
    }
    k.linear(q_nope, rows, f32_matrix(keys + h * total * nope, seen, nope), scores);
    k.linear(q_rope, rows, f32_matrix(cache.rope_key.data(), seen, rope_dim), rope_scores);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t visible = start + s0 + r + 1;
      float* p = scores + r * seen;
      const float* pr = rope_scores + r * seen;
      for (int64_t t = 0; t < visible; ++t) p[t] = (p[t] + pr[t]) * softmax_scale;
      k.softmax(p, visible);
      std::fill(p + visible, p + seen, 0.0f);
    }
    k.linear_transposed(scores, rows, f32_matrix(values + h * total * vdim, seen, vdim), out);
    for (int64_t r = 0; r < rows; ++r) {
      std::copy_n(out + r * vdim, vdim, o + ((s0 + r) * heads + h) * vdim);
    }
  });
}

}  // namespace fathom
