// Scratch buffers for the forward pass, reused across layers and steps. A fresh std::vector of a
// few megabytes per call is a fresh mmap: page faults and zero-fill every layer of every step.
// Each file keeps its buffers as `thread_local std::vector<float>` (workers of the thread pool
// get their own) and asks for room with scratch(); a buffer keeps its largest size, like a
// compute buffer sized by the largest batch seen.
#pragma once

#include <cstdint>
#include <vector>

namespace fathom {

// Room for `count` floats in `buffer` (contents unspecified); grows, never shrinks.
inline float* scratch(std::vector<float>& buffer, int64_t count) {
  if (buffer.size() < size_t(count)) buffer.resize(size_t(count));
  return buffer.data();
}

}  // namespace fathom
