// The machine's napkin peaks, measured: streaming-read bandwidth (a vector sum over a buffer far
// larger than the caches), FMA throughput (independent register-only FMA chains) and, where the
// CPU has it, VNNI int8 dot-product throughput (independent vpdpbusd chains), each on 1 and 2
// threads.
#pragma once

namespace fathom {

struct Peaks {
  double read_bytes_per_s[2] = {0, 0};  // [1 thread, 2 threads]
  double fma_flops_per_s[2] = {0, 0};
  const char* fma_isa = "none";  // widest FMA this CPU has: "avx512", "avx2" or "none"
  // AVX512-VNNI vpdpbusd throughput in int8 ops (2 per multiply-add), 0 where the CPU lacks it.
  double vnni_ops_per_s[2] = {0, 0};
};

Peaks measure_peaks();

}  // namespace fathom
