// Token-file datasets for pretraining: a flat array of token ids behind a small header, cut into
// fixed-length windows of T+1 ids (inputs ids[:T], targets ids[1:]), visited in a shuffled order
// per epoch, with an optional held-out split.
//
// File layout (little-endian): "FTOK" | uint32 version (1) | uint32 bytes_per_id (2 or 4) |
// uint64 count | count ids (uint16 or uint32).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace fathom {

void write_token_file(const std::string& path, const std::vector<uint32_t>& ids, int bytes_per_id);
// Throws Error(kCorruptFile) naming the path for a bad magic, version, width or size.
std::vector<uint32_t> read_token_file(const std::string& path);
// The files' ids one after another (any mix of widths).
std::vector<uint32_t> read_token_files(const std::vector<std::string>& paths);

class WindowSampler {
 public:
  // Non-overlapping windows of seq_len + 1 ids starting every seq_len ids (the last id of one
  // window is the first input of the next). Windows [first, first + count) of the file only, so
  // one file can be split into train and held-out ranges. Throws if no window fits.
  WindowSampler(const std::vector<uint32_t>& ids, int64_t seq_len, int64_t first_window,
                int64_t window_count, uint64_t seed);
  static int64_t window_count(int64_t n_ids, int64_t seq_len);

  // The next `n_seq` windows, row-major [n_seq, seq_len + 1]; reshuffles at each epoch's end.
  std::vector<int32_t> next_batch(int64_t n_seq);
  // Window i (for evaluation in a fixed order).
  void window(int64_t i, int32_t* out) const;
  int64_t size() const { return count_; }
  int64_t epoch() const { return epoch_; }
  // Skips `n` batches' worth of windows (resume: the order is a function of seed and position).
  void skip(int64_t windows);

 private:
  void reshuffle();
  const std::vector<uint32_t>& ids_;
  int64_t seq_len_, first_, count_;
  uint64_t seed_;
  std::vector<int64_t> order_;
  int64_t cursor_ = 0, epoch_ = 0;
};

}  // namespace fathom
