#include "train/token_dataset.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <numeric>

#include "core/error.h"

namespace fathom {

void write_token_file(const std::string& path, const std::vector<uint32_t>& ids, int bytes_per_id) {
  if (bytes_per_id != 2 && bytes_per_id != 4) {
    fail(ErrorKind::kInvalidArgument, "token file width must be 2 or 4 bytes per id");
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const uint32_t version = 1, width = uint32_t(bytes_per_id);
  const uint64_t count = ids.size();
  out.write("FTOK", 4);
  out.write(reinterpret_cast<const char*>(&version), 4);
  out.write(reinterpret_cast<const char*>(&width), 4);
  out.write(reinterpret_cast<const char*>(&count), 8);
  for (uint32_t id : ids) {
    if (width == 2) {
      if (id > 0xffff) fail(ErrorKind::kInvalidArgument, "token id " + std::to_string(id) + " needs 4 bytes");
      const uint16_t v = uint16_t(id);
      out.write(reinterpret_cast<const char*>(&v), 2);
    } else {
      out.write(reinterpret_cast<const char*>(&id), 4);
    }
  }
  if (!out) fail(ErrorKind::kIo, "cannot write " + path);
}

std::vector<uint32_t> read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kNotFound, "cannot open token file " + path);
  char magic[4];
  uint32_t version = 0, width = 0;
  uint64_t count = 0;
  in.read(magic, 4);
  in.read(reinterpret_cast<char*>(&version), 4);
  in.read(reinterpret_cast<char*>(&width), 4);
  in.read(reinterpret_cast<char*>(&count), 8);
  if (!in || std::memcmp(magic, "FTOK", 4) != 0) {
    fail(ErrorKind::kCorruptFile, path + ": not a token file (expected the FTOK header)");
  }
  if (version != 1) fail(ErrorKind::kUnsupported, path + ": token file version " + std::to_string(version));
  if (width != 2 && width != 4) fail(ErrorKind::kCorruptFile, path + ": bytes_per_id " + std::to_string(width));
  in.seekg(0, std::ios::end);
  const uint64_t payload = uint64_t(in.tellg()) - 20;
  if (count > payload / width || payload != count * width) {
    fail(ErrorKind::kCorruptFile, path + ": header says " + std::to_string(count) + " ids of " +
                                      std::to_string(width) + " bytes, file has " +
                                      std::to_string(payload) + " payload bytes");
  }
  in.seekg(20);
  std::vector<uint32_t> ids(count);
  if (width == 4) {
    in.read(reinterpret_cast<char*>(ids.data()), std::streamsize(count * 4));
  } else {
    std::vector<uint16_t> narrow(count);
    in.read(reinterpret_cast<char*>(narrow.data()), std::streamsize(count * 2));
    std::copy(narrow.begin(), narrow.end(), ids.begin());
  }
  return ids;
}

std::vector<uint32_t> read_token_files(const std::vector<std::string>& paths) {
  std::vector<uint32_t> ids;
  for (const std::string& path : paths) {
    const std::vector<uint32_t> part = read_token_file(path);
    ids.insert(ids.end(), part.begin(), part.end());
  }
  return ids;
}

int64_t WindowSampler::window_count(int64_t n_ids, int64_t seq_len) {
  return n_ids > seq_len ? (n_ids - 1) / seq_len : 0;
}

WindowSampler::WindowSampler(const std::vector<uint32_t>& ids, int64_t seq_len,
                             int64_t first_window, int64_t window_count_, uint64_t seed)
    : ids_(ids), seq_len_(seq_len), first_(first_window), count_(window_count_), seed_(seed) {
  if (count_ < 1 || first_ < 0 || first_ + count_ > window_count(int64_t(ids.size()), seq_len)) {
    fail(ErrorKind::kInvalidArgument,
         "dataset of " + std::to_string(ids.size()) + " ids has no room for windows [" +
             std::to_string(first_) + ", " + std::to_string(first_ + count_) + ") of " +
             std::to_string(seq_len + 1) + " ids");
  }
  reshuffle();
}

void WindowSampler::reshuffle() {
  order_.resize(size_t(count_));
  std::iota(order_.begin(), order_.end(), first_);
  std::mt19937_64 rng(seed_ + uint64_t(epoch_) * 0x9e3779b97f4a7c15ull);
  std::shuffle(order_.begin(), order_.end(), rng);
  cursor_ = 0;
}

void WindowSampler::window(int64_t i, int32_t* out) const {
  const uint32_t* src = ids_.data() + i * seq_len_;
  for (int64_t j = 0; j <= seq_len_; ++j) out[j] = int32_t(src[j]);
}

std::vector<int32_t> WindowSampler::next_batch(int64_t n_seq) {
  std::vector<int32_t> out(size_t(n_seq * (seq_len_ + 1)));
  for (int64_t b = 0; b < n_seq; ++b) {
    if (cursor_ == count_) {
      ++epoch_;
      reshuffle();
    }
    window(order_[size_t(cursor_++)], &out[size_t(b * (seq_len_ + 1))]);
  }
  return out;
}

void WindowSampler::skip(int64_t windows) {
  for (int64_t i = 0; i < windows; ++i) {
    if (cursor_ == count_) {
      ++epoch_;
      reshuffle();
    }
    ++cursor_;
  }
}

}  // namespace fathom
