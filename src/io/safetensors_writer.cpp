#include "io/safetensors_writer.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace fathom {

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorToWrite*> order;
  for (const auto& t : tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
    const size_t sa = dtype_size(a->dtype), sb = dtype_size(b->dtype);
    return sa != sb ? sa > sb : a->name < b->name;
  });

  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorToWrite* t : order) {
    uint64_t numel = 1;
    for (int64_t d : t->shape) numel *= uint64_t(d);
    if (numel * dtype_size(t->dtype) != t->bytes.size()) {
      fail(ErrorKind::kInvalidArgument, "writing " + path + ": tensor " + t->name + " has " +
                                            std::to_string(t->bytes.size()) + " bytes, shape needs " +
                                            std::to_string(numel * dtype_size(t->dtype)));
    }
    header[t->name] = {{"dtype", dtype_name(t->dtype)},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->bytes.size()}}};
    offset += t->bytes.size();
  }
  std::string json = header.dump();
  // Pad the header so the data buffer starts on a 64-byte boundary (see sharded_writer.cpp).
  json.append((64 - (8 + json.size()) % 64) % 64, ' ');

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(ErrorKind::kIo, "cannot open " + path + " for writing");
  char length[8];
  for (int i = 0; i < 8; ++i) length[i] = char((uint64_t(json.size()) >> (8 * i)) & 0xff);
  out.write(length, 8);
  out.write(json.data(), std::streamsize(json.size()));
  for (const TensorToWrite* t : order) out.write(t->bytes.data(), std::streamsize(t->bytes.size()));
  out.close();
  if (!out) fail(ErrorKind::kIo, "cannot write " + path);
}

}  // namespace fathom
