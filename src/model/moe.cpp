#include "model/moe.h"

#include <algorithm>
#include <vector>

#include "core/thread_pool.h"
#include "model/mlp.h"
#include "model/moe_router.h"
#include "model/scratch.h"

namespace fathom {
namespace {

// Expert rows (token, expert pairs, and shared-expert tokens) per wave: the experts run in waves
// of at most this many rows, which bounds the scratch to kWaveRows x (2 hidden + intermediate)
// floats however long the prompt, while a 512-token chunk of V2-Lite (3072 routed + 512 shared
// rows) is still one wave: two barriers for all its experts.
constexpr int64_t kWaveRows = 4096;
// Rows per gather/combine range.
constexpr int64_t kRowGrain = 8;

// The calling thread's buffers (model/scratch.h).
thread_local std::vector<float> t_gathered, t_wave_out;  // [kWaveRows, hidden]

// A run of one expert's rows inside a wave: routed expert `expert`'s rows row0.. of the
// expert-sorted pairs, or (expert < 0) the shared experts on tokens row0...
struct Piece {
  int64_t expert, row0, rows;
};

}  // namespace

void moe_forward(const ModelConfig& c, const MoeWeights& w, const float* x, int64_t n, float* out) {
  const int64_t hidden = c.hidden_size, experts = *c.n_routed_experts;
  const Routing routing = route_tokens(c, w, x, n);
  const int64_t top_k = routing.top_k, pairs = n * top_k;

  // Invert the routing by a counting sort: the (token, slot) pairs grouped by expert, tokens in
  // order within a group; row_of[t * top_k + j] is the pair's row in that order.
  std::vector<int64_t> first(size_t(experts + 1), 0);  // expert e's rows: first[e] .. first[e+1]
  for (int64_t i = 0; i < pairs; ++i) ++first[size_t(routing.experts[size_t(i)]) + 1];
  for (int64_t e = 0; e < experts; ++e) first[size_t(e + 1)] += first[size_t(e)];
  std::vector<int64_t> row_of(static_cast<size_t>(pairs)), token_of(static_cast<size_t>(pairs));
  {
    std::vector<int64_t> next(first.begin(), first.end() - 1);
    for (int64_t i = 0; i < pairs; ++i) {
      const int64_t row = next[size_t(routing.experts[size_t(i)])]++;
      row_of[size_t(i)] = row;
      token_of[size_t(row)] = i / top_k;
    }
  }
  // Each token's slots by ascending expert id: the order the terms of eq. 12 are summed in.
  std::vector<int64_t> slots(static_cast<size_t>(pairs));
  for (int64_t t = 0; t < n; ++t) {
    int64_t* s = &slots[size_t(t * top_k)];
    for (int64_t j = 0; j < top_k; ++j) s[j] = t * top_k + j;
    std::sort(s, s + top_k, [&](int64_t a, int64_t b) {
      return routing.experts[size_t(a)] < routing.experts[size_t(b)];
    });
  }

  float* gathered = scratch(t_gathered, std::min(pairs, kWaveRows) * hidden);
  float* wave_out = scratch(t_wave_out, std::min(pairs + n, kWaveRows) * hidden);
  std::fill(out, out + n * hidden, 0.0f);

  // One wave: routed pieces (consecutive sorted rows r0 .. r1) then at most one shared piece.
  // out[t] += Σ_{its slots in the wave, ascending expert} g · expert(x_t) (+ shared(x_t)); waves
  // run in ascending (expert, row) order with the shared experts last, so every token's sum
  // of eq. 12 keeps one order: routed terms by expert id, then the shared term.
  std::vector<Piece> wave;
  std::vector<SwigluJob> jobs;
  auto run_wave = [&] {
    if (wave.empty()) return;
    int64_t r0 = -1, r1 = -1, t0 = 0, t1 = 0, rows = 0;
    jobs.clear();
    for (const Piece& p : wave) {
      if (p.expert >= 0) {
        if (r0 < 0) r0 = p.row0;
        r1 = p.row0 + p.rows;
        jobs.push_back({&w.experts[size_t(p.expert)], gathered + rows * hidden, p.rows,
                        wave_out + rows * hidden});
      } else {
        t0 = p.row0;
        t1 = p.row0 + p.rows;
        jobs.push_back({&*w.shared_experts, x + t0 * hidden, p.rows, wave_out + rows * hidden});
      }
      rows += p.rows;
    }
    const int64_t routed = r0 < 0 ? 0 : r1 - r0;  // the shared rows follow these in wave_out
    parallel_for(routed, kRowGrain, [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        std::copy_n(x + token_of[size_t(r0 + row)] * hidden, hidden, gathered + row * hidden);
      }
    });
    swiglu_forward_batch(jobs);
    parallel_for(n, kRowGrain, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        float* dst = out + t * hidden;
        for (int64_t j = 0; j < top_k && routed > 0; ++j) {
          const int64_t slot = slots[size_t(t * top_k + j)], row = row_of[size_t(slot)];
          if (row < r0 || row >= r1) continue;
          const float g = routing.weights[size_t(slot)];
          const float* r = wave_out + (row - r0) * hidden;
          for (int64_t d = 0; d < hidden; ++d) dst[d] += g * r[d];
        }
        if (t >= t0 && t < t1) {
          const float* s = wave_out + (routed + t - t0) * hidden;
          for (int64_t d = 0; d < hidden; ++d) dst[d] += s[d];
        }
      }
    });
    wave.clear();
  };

  int64_t filled = 0;  // rows in the current wave
  auto add = [&](int64_t expert, int64_t row0, int64_t rows) {
    while (rows > 0) {
      const int64_t take = std::min(rows, kWaveRows - filled);
      wave.push_back({expert, row0, take});
      filled += take;
      row0 += take;
      rows -= take;
      if (filled == kWaveRows) {
        run_wave();
        filled = 0;
      }
    }
  };
  for (int64_t e = 0; e < experts; ++e)
    add(e, first[size_t(e)], first[size_t(e + 1)] - first[size_t(e)]);
  if (w.shared_experts) add(-1, 0, n);
  run_wave();
}

}  // namespace fathom
