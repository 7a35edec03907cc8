#include "model/mlp.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel_weighted.h"
#include "kernels/kernels.h"
#include "model/scratch.h"

namespace fathom {
namespace {

// Weight rows per task: 128 rows of a 2048-wide bf16 matrix are 512 KiB, enough to amortize a
// call, small enough that a decode step's few experts still split across many threads. A
// multiple of the FP8 block (128) and of every kernel row tile.
constexpr int64_t kChunkRows = 128;

// The calling thread's buffers (model/scratch.h).
thread_local std::vector<float> t_act;    // silu(gate) * up of every job, [Σ m, width]
thread_local std::vector<float> t_chunk;  // one task's [m, chunk] outputs (m > 1)

struct Chunk {
  int64_t job, row0, rows;
};

// The rows of every job's `matrix` in chunks, with the prefix sums of their costs (multiply-adds)
// for parallel_for_weighted.
void chunk_jobs(std::span<const SwigluJob> jobs, MatrixRef MlpWeights::*matrix,
                std::vector<Chunk>& chunks, std::vector<int64_t>& cost) {
  chunks.clear();
  cost.assign(1, 0);
  for (size_t j = 0; j < jobs.size(); ++j) {
    const MatrixRef& w = jobs[j].w->*matrix;
    for (int64_t r = 0; r < w.rows && jobs[j].m > 0; r += kChunkRows) {
      chunks.push_back({int64_t(j), r, std::min(kChunkRows, w.rows - r)});
      cost.push_back(cost.back() + jobs[j].m * chunks.back().rows * w.cols);
    }
  }
}

}  // namespace

void swiglu_forward_batch(std::span<const SwigluJob> jobs) {
  const KernelTable& k = kernels();
  std::vector<int64_t> act_offset(jobs.size() + 1, 0);  // job j's rows of act
  for (size_t j = 0; j < jobs.size(); ++j) {
    act_offset[j + 1] = act_offset[j] + jobs[j].m * jobs[j].w->gate_proj.rows;
  }
  float* act = scratch(t_act, act_offset.back());
  std::vector<Chunk> chunks;
  std::vector<int64_t> cost;

  // act[t, r] = silu(gate(x)[t, r]) * up(x)[t, r] for rows r of each chunk.
  chunk_jobs(jobs, &MlpWeights::gate_proj, chunks, cost);
  parallel_for_weighted(cost, [&](int64_t i) {
    const Chunk& ch = chunks[size_t(i)];
    const SwigluJob& job = jobs[size_t(ch.job)];
    const int64_t m = job.m, width = job.w->gate_proj.rows;
    float* gate = scratch(t_chunk, 2 * m * ch.rows);  // [m, rows]
    float* up = gate + m * ch.rows;                   // [m, rows]
    k.linear(job.x, m, row_slice(job.w->gate_proj, ch.row0, ch.rows), gate);
    k.linear(job.x, m, row_slice(job.w->up_proj, ch.row0, ch.rows), up);
    float* a = act + act_offset[size_t(ch.job)] + ch.row0;
    for (int64_t t = 0; t < m; ++t) {
      for (int64_t r = 0; r < ch.rows; ++r) {
        const float g = gate[t * ch.rows + r];
        a[t * width + r] = g / (1.0f + std::exp(-g)) * up[t * ch.rows + r];  // silu(g) * u
      }
    }
  });

  // out = down(act), by chunks of output rows.
  chunk_jobs(jobs, &MlpWeights::down_proj, chunks, cost);
  parallel_for_weighted(cost, [&](int64_t i) {
    const Chunk& ch = chunks[size_t(i)];
    const SwigluJob& job = jobs[size_t(ch.job)];
    const int64_t m = job.m, hidden = job.w->down_proj.rows;
    const MatrixRef down = row_slice(job.w->down_proj, ch.row0, ch.rows);
    const float* a = act + act_offset[size_t(ch.job)];
    if (m == 1) {
      k.linear(a, 1, down, job.out + ch.row0);
      return;
    }
    float* y = scratch(t_chunk, m * ch.rows);  // [m, rows]
    k.linear(a, m, down, y);
    for (int64_t t = 0; t < m; ++t) {
      std::copy_n(y + t * ch.rows, ch.rows, job.out + t * hidden + ch.row0);
    }
  });
}

void mlp_forward(const MlpWeights& w, const float* x, int64_t n, float* out) {
  const SwigluJob job{&w, x, n, out};
  swiglu_forward_batch(std::span<const SwigluJob>(&job, 1));
}

}  // namespace fathom
