// Google Benchmark for the kernel sets: linear (y = x·Wᵀ) and linear_transposed per ISA level,
// weight dtype (f32, bf16, f16, fp8 with 128x128 block scales, q8_0 and q4_0 with their float16
// group scales), token count and thread count, with the napkin math beside each (STYLE.md §4,
// llm.c's kernel lab):
//   bytes per call = weight bytes (codes plus scales), FLOPs per call = 2·n·rows·cols.
// Decode (n = 1..4) streams the weights once, so it is bound by memory bandwidth: reported as
// a fraction of this machine's measured streaming-read bandwidth. Prefill (n ≥ 64) is bound by
// FMA throughput: reported as a fraction of the measured register-only FMA peak (the widest ISA
// this CPU has), and for q8_0/q4_0 linear, whose multiply-adds are int8 dot products, also of
// the measured VNNI (vpdpbusd) peak where the CPU has one. The peaks are measured at start-up,
// for 1 and 2 threads, and printed. The avx512 set runs its integer dots on VNNI where present;
// "avx512_without_vnni" is the same set on AVX-512BW, as a CPU without VNNI runs it.
//
//   bench_linear [--benchmark_filter=...] [--benchmark_min_time=0.1]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kernels/peaks.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "core/quant_format.h"
#include "kernels/row_kernels.h"

namespace fathom {
namespace {

struct Shape {
  const char* name;
  int64_t rows, cols;
};
// Decode: a DeepSeek-V3-sized projection (hidden 7168), bigger than the 32 MiB L3 in every
// dtype so the weights come from DRAM. Prefill: 2048x2048, compute-bound at n ≥ 64. The grouped
// formats add a down-projection-like decode shape (2048 x 10944 = 342 groups a row, a partial
// last 16-group block; 24 MB as q8_0, so partly L3-resident) and a prefill shape with 44 groups
// a row (2048 x 1408, DeepSeek-V2-Lite's expert width).
constexpr Shape kDecode{"8192x7168", 8192, 7168};
constexpr Shape kPrefill{"2048x2048", 2048, 2048};
constexpr Shape kQuantDecode{"2048x10944", 2048, 10944};
constexpr Shape kQuantPrefill{"2048x1408", 2048, 1408};

struct Matrix {
  std::vector<uint8_t> bytes;
  std::vector<float> scales;
  std::vector<uint16_t> group_scales;
  MatrixRef ref;
};

// Bytes one call reads: codes plus scales.
double weight_bytes(const MatrixRef& w) {
  double b = double(w.rows) * double(row_bytes(w.dtype, w.cols));
  if (is_group_quantized(w.dtype)) b += double(w.rows * (w.cols / kQuantGroup)) * 2.0;
  return b;
}

// One weight matrix alive at a time (the decode f32 one is 235 MB). Cheap xorshift fill: finite
// values of unit-ish size in every dtype.
Matrix& matrix(DType dtype, const Shape& s) {
  static std::unique_ptr<Matrix> cached;
  static std::string key;
  const std::string want = std::string(dtype_name(dtype)) + s.name;
  if (cached && key == want) return *cached;
  cached.reset();
  cached = std::make_unique<Matrix>();
  Matrix& m = *cached;
  key = want;
  const size_t count = size_t(s.rows * s.cols);
  m.bytes.resize(size_t(s.rows * row_bytes(dtype, s.cols)));
  uint64_t state = 88172645463325252ull;
  auto next = [&state] {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return state;
  };
  for (size_t i = 0; i < count && !is_group_quantized(dtype); ++i) {
    const uint64_t r = next();
    const float f = float(int64_t(r % 2001) - 1000) / 1000.0f;
    switch (dtype) {
      case DType::kF32: std::memcpy(&m.bytes[i * 4], &f, 4); break;
      case DType::kBF16: {
        const uint16_t b = f32_to_bf16(f);
        std::memcpy(&m.bytes[i * 2], &b, 2);
        break;
      }
      case DType::kF16: {
        const uint16_t h = uint16_t(((r >> 20) & 0x8000) | (((r >> 8) % 20 + 5) << 10) | (r & 0x3ff));
        std::memcpy(&m.bytes[i * 2], &h, 2);
        break;
      }
      default: m.bytes[i] = uint8_t(r & 0x7e); break;  // finite E4M3 codes
    }
  }
  m.ref = MatrixRef{dtype, s.rows, s.cols, m.bytes.data()};
  if (is_group_quantized(dtype)) {  // codes in [-127, 127] / any nibbles; scales ~0.01
    for (uint8_t& b : m.bytes) {
      b = uint8_t(next() >> 24);
      if (dtype == DType::kQ8_0 && b == 0x80) b = 0x81;
    }
    m.group_scales.resize(size_t(s.rows * (s.cols / kQuantGroup)));
    for (uint16_t& h : m.group_scales) h = f32_to_f16(0.005f + float(next() % 1000) * 1e-5f);
    m.ref.group_scales = m.group_scales.data();
  }
  if (dtype == DType::kF8E4M3) {
    m.scales.assign(size_t(((s.rows + 127) / 128) * ((s.cols + 127) / 128)), 0.01f);
    m.ref.block_scales = m.scales.data();
    m.ref.block_rows = m.ref.block_cols = 128;
  }
  return m;
}

MachinePeaks g_peaks[2];  // measured on 1 and 2 threads (kernels/peaks.h)

// A kernel set to measure: a level, or avx512 with its integer dots on AVX-512BW.
struct Set {
  Isa isa;
  bool without_vnni;
};

void run(benchmark::State& state, Set set, DType dtype, Shape shape, int64_t n, int threads,
         bool transposed) {
  const KernelTable& k = set.without_vnni ? detail::avx512_without_vnni_table() : kernels_for(set.isa);
  set_num_threads(threads);
  const MatrixRef& w = matrix(dtype, shape).ref;
  const int64_t in = transposed ? w.rows : w.cols, out = transposed ? w.cols : w.rows;
  std::vector<float> x(size_t(n * in), 0.5f), y(size_t(n * out));
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    (transposed ? k.linear_transposed : k.linear)(x.data(), n, w, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double calls_per_s = double(state.iterations()) / seconds;
  const double bytes = weight_bytes(w);
  const double flops = 2.0 * double(n) * double(w.rows * w.cols);
  const int p = threads > 1 ? 1 : 0;  // peaks for the same thread count
  state.counters["GB/s"] = bytes * calls_per_s / 1e9;
  state.counters["GFLOP/s"] = flops * calls_per_s / 1e9;
  state.counters["%BW"] = 100.0 * bytes * calls_per_s / g_peaks[p].read_bytes_per_s;
  state.counters["%FMA"] = 100.0 * flops * calls_per_s / g_peaks[p].fma_flops_per_s;
  if (is_group_quantized(dtype) && !transposed && g_peaks[p].int8_ops_per_s > 0) {
    state.counters["%VNNI"] = 100.0 * flops * calls_per_s / g_peaks[p].int8_ops_per_s;
  }
}

const char* short_dtype(DType d) {
  switch (d) {
    case DType::kF32: return "f32";
    case DType::kBF16: return "bf16";
    case DType::kF16: return "f16";
    case DType::kQ8_0: return "q8_0";
    case DType::kQ4_0: return "q4_0";
    default: return "fp8";
  }
}

void register_all() {
  std::vector<std::pair<Set, std::string>> sets;
  for (Isa isa : supported_isas()) {
    if (isa == Isa::kAmx) continue;  // same kernels as avx512 for now
    sets.push_back({{isa, false}, isa_name(isa)});
  }
  if (isa_supported(Isa::kAvx512) && cpu_features().avx512_vnni) {
    sets.push_back({{Isa::kAvx512, true}, "avx512_without_vnni"});
  }
  for (const auto& [set, set_name] : sets) {
    for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16, DType::kF8E4M3, DType::kQ8_0, DType::kQ4_0}) {
      const bool grouped = is_group_quantized(dtype);
      if (set.without_vnni && !grouped) continue;  // only the integer dots differ
      std::vector<Shape> decode{kDecode}, prefill{kPrefill};
      if (grouped) decode.push_back(kQuantDecode), prefill.push_back(kQuantPrefill);
      for (int threads : {1, 2}) {
        for (bool transposed : {false, true}) {
          const std::string op = transposed ? "linear_transposed" : "linear";
          const std::string prefix = op + "/" + set_name + "/" + short_dtype(dtype);
          const std::string suffix = "/threads:" + std::to_string(threads);
          for (const Shape& shape : decode) {
            for (int64_t n : {1, 4}) {
              benchmark::RegisterBenchmark(
                  (prefix + "/decode_n" + std::to_string(n) + "/" + shape.name + suffix).c_str(),
                  [=](benchmark::State& s) { run(s, set, dtype, shape, n, threads, transposed); })
                  ->UseRealTime()
                  ->Unit(benchmark::kMillisecond);
            }
          }
          for (const Shape& shape : prefill) {
            for (int64_t n : {64, 512}) {
              benchmark::RegisterBenchmark(
                  (prefix + "/prefill_n" + std::to_string(n) + "/" + shape.name + suffix).c_str(),
                  [=](benchmark::State& s) { run(s, set, dtype, shape, n, threads, transposed); })
                  ->UseRealTime()
                  ->Unit(benchmark::kMillisecond);
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace fathom

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  using namespace fathom;
  g_peaks[0] = measure_peaks(1);
  g_peaks[1] = measure_peaks(2);
  std::printf("cpu: %s\n", describe_cpu().c_str());
  std::printf("napkin peaks (measured): streaming read %.1f GB/s (1 thread), %.1f GB/s (2 threads); "
              "%s FMA %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads)\n",
              g_peaks[0].read_bytes_per_s / 1e9, g_peaks[1].read_bytes_per_s / 1e9,
              g_peaks[0].fma_isa, g_peaks[0].fma_flops_per_s / 1e9, g_peaks[1].fma_flops_per_s / 1e9);
  if (g_peaks[0].int8_ops_per_s > 0) {
    std::printf("napkin peaks (measured): avx512 VNNI int8 %.1f GOP/s (1 thread), %.1f GOP/s "
                "(2 threads)\n", g_peaks[0].int8_ops_per_s / 1e9, g_peaks[1].int8_ops_per_s / 1e9);
  }
  std::printf("decode: bytes = weight codes + scales per call, %%BW vs streaming read; prefill: "
              "FLOPs = 2*n*rows*cols, %%FMA vs FMA peak, %%VNNI vs VNNI int8 peak (same thread "
              "count)\n");
  std::fflush(stdout);
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
