#include "kernels/peaks.h"

// The loops use GCC target attributes and run only where kernels/isa.h says the CPU and OS
// support them: measurement code, not kernels, so no per-ISA object library is needed.
#include <immintrin.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "kernels/isa.h"

namespace fathom {
namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

__attribute__((target("avx2"))) uint64_t sum_avx2(const uint8_t* p, size_t bytes) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= bytes; i += 128) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) uint64_t out[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(out), s);
  return out[0] + out[1] + out[2] + out[3];
}

uint64_t sum_sse2(const uint8_t* p, size_t bytes) {
  __m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 64 <= bytes; i += 64) {
    a0 = _mm_add_epi64(a0, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i)));
    a1 = _mm_add_epi64(a1, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i + 16)));
    a2 = _mm_add_epi64(a2, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i + 32)));
    a3 = _mm_add_epi64(a3, _mm_load_si128(reinterpret_cast<const __m128i*>(p + i + 48)));
  }
  const __m128i s = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3));
  alignas(16) uint64_t out[2];
  _mm_store_si128(reinterpret_cast<__m128i*>(out), s);
  return out[0] + out[1];
}

// 16 independent accumulators: enough to cover FMA latency x ports (4 cycles x 2 on current
// cores). The result feeds *sink, and without -ffast-math GCC may not fold the chains, so no
// asm barrier is needed (one would force the accumulators to memory). Returns FLOPs done.
__attribute__((target("avx512f"))) double fma_avx512(int64_t iterations, float* sink) {
  __m512 acc[16];
  for (int j = 0; j < 16; ++j) acc[j] = _mm512_set1_ps(float(j));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < 16; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  }
  __m512 s = acc[0];
  for (int j = 1; j < 16; ++j) s = _mm512_add_ps(s, acc[j]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);  // (not _mm512_reduce_add_ps: GCC 12 warns inside it, PR 105593)
  *sink = out[0] + out[15];
  return double(iterations) * 16 * 16 * 2;
}

__attribute__((target("avx2,fma"))) double fma_avx2(int64_t iterations, float* sink) {
  __m256 acc[12];
  for (int j = 0; j < 12; ++j) acc[j] = _mm256_set1_ps(float(j));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < 12; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  }
  __m256 s = acc[0];
  for (int j = 1; j < 12; ++j) s = _mm256_add_ps(s, acc[j]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  *sink = out[0] + out[7];
  return double(iterations) * 12 * 8 * 2;
}

// vpdpbusd: 64 u8 x s8 products summed in groups of 4 into 16 int32 lanes per instruction.
__attribute__((target("avx512f,avx512vnni"))) double int8_vnni(int64_t iterations, float* sink) {
  __m512i acc[16];
  for (int j = 0; j < 16; ++j) acc[j] = _mm512_set1_epi32(j);
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-1);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < 16; ++j) acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
  }
  __m512i s = acc[0];
  for (int j = 1; j < 16; ++j) s = _mm512_add_epi32(s, acc[j]);
  alignas(64) int32_t out[16];
  _mm512_store_si512(out, s);
  *sink = float(out[0] + out[15]);
  return double(iterations) * 16 * 64 * 2;
}

// vdpbf16ps: 32 bf16 products summed in pairs into 16 f32 lanes per instruction.
__attribute__((target("avx512f,avx512bf16"))) double bf16_dot(int64_t iterations, float* sink) {
  __m512 acc[16];
  for (int j = 0; j < 16; ++j) acc[j] = _mm512_set1_ps(float(j));
  const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3380);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < 16; ++j) acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
  }
  __m512 s = acc[0];
  for (int j = 1; j < 16; ++j) s = _mm512_add_ps(s, acc[j]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  *sink = out[0] + out[15];
  return double(iterations) * 16 * 32 * 2;
}

// Runs fn on `threads` threads at once; returns the total rate (units per second), best of 5.
template <typename Fn>
double best_rate(int threads, Fn fn) {
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<double> units(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    const double t0 = now();
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { units[size_t(t)] = fn(t); });
    for (std::thread& th : pool) th.join();
    const double dt = now() - t0;
    double total = 0;
    for (double u : units) total += u;
    if (total / dt > best) best = total / dt;
  }
  return best;
}

}  // namespace

MachinePeaks measure_peaks(int threads) {
  MachinePeaks p;
  p.threads = threads;
  // 512 MiB, touched first so page faults are not timed; each thread reads its own part.
  const size_t bytes = size_t(512) << 20;
  uint8_t* buf = static_cast<uint8_t*>(std::aligned_alloc(64, bytes));
  std::memset(buf, 1, bytes);
  const bool avx2 = isa_supported(Isa::kAvx2);
  volatile uint64_t sink = 0;
  p.read_bytes_per_s = best_rate(threads, [&](int t) {
    const size_t part = bytes / size_t(threads) / 128 * 128;
    const uint8_t* base = buf + part * size_t(t);
    sink = sink + (avx2 ? sum_avx2(base, part) : sum_sse2(base, part));
    return double(part);
  });
  std::free(buf);
  const bool avx512 = isa_supported(Isa::kAvx512);
  p.fma_isa = avx512 ? "avx512" : avx2 ? "avx2" : "none";
  const int64_t iterations = int64_t(1) << 22;
  auto rate = [&](double (*loop)(int64_t, float*)) {
    return best_rate(threads, [&](int) {
      float s = 0;
      const double ops = loop(iterations, &s);
      sink = sink + uint64_t(s);
      return ops;
    });
  };
  if (avx512) {
    p.fma_flops_per_s = rate(fma_avx512);
  } else if (avx2) {
    p.fma_flops_per_s = rate(fma_avx2);
  }
  const CpuFeatures& f = cpu_features();
  if (avx512 && f.avx512_vnni) p.int8_ops_per_s = rate(int8_vnni);
  if (avx512 && f.avx512_bf16) p.bf16_flops_per_s = rate(bf16_dot);
  return p;
}

}  // namespace fathom
