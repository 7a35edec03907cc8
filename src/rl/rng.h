// A portable deterministic random stream for the task generators: the same (seed, index) gives
// the same problem on every platform and standard library (std::uniform_int_distribution's
// algorithm is implementation-defined, so it is not used).
#pragma once

#include <cstdint>
#include <string_view>

namespace fathom::rl {

// splitmix64 (Steele, Lea & Flood 2014): one 64-bit state, well mixed, fast.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n ≥ 1, without modulo bias (rejection of the top partial block).
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }
  // Uniform in [lo, hi], lo ≤ hi.
  int64_t range(int64_t lo, int64_t hi) { return lo + int64_t(below(uint64_t(hi - lo) + 1)); }

 private:
  uint64_t state_;
};

// The splitmix64 finaliser of x: a 64-bit mixing function for combining seeds.
inline uint64_t mix64(uint64_t x) { return SplitMix64(x).next(); }

// FNV-1a 64 (Fowler, Noll, Vo) of a string, then mixed: a stable hash of problem keys.
inline uint64_t hash_key(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return mix64(h);
}

}  // namespace fathom::rl
