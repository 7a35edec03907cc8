// This machine's napkin ceilings, measured (not looked up): streaming-read bandwidth (a vector
// sum over a buffer far larger than the caches) and the throughput of independent register-only
// chains of f32 FMA, int8 dot products (AVX-512 VNNI vpdpbusd) and bf16 dot products (AVX-512
// BF16 vdpbf16ps). `fathom bench` and the kernel benchmarks report speeds as fractions of these:
// decode against bandwidth (every generated token reads the active weights once), prefill against
// compute.
#pragma once

namespace fathom {

struct MachinePeaks {
  int threads = 1;
  double read_bytes_per_s = 0;
  double fma_flops_per_s = 0;   // f32, 2 FLOPs per FMA lane, widest vector ISA present
  double int8_ops_per_s = 0;    // 2 ops per int8 multiply-add; 0 without AVX-512 VNNI
  double bf16_flops_per_s = 0;  // 2 FLOPs per bf16 multiply-add; 0 without AVX-512 BF16
  const char* fma_isa = "none";  // "avx512", "avx2" or "none"
};

// Runs each measurement on `threads` threads at once (best of 5); takes about a second.
MachinePeaks measure_peaks(int threads);

}  // namespace fathom
