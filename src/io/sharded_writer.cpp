#include "io/sharded_writer.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/quant_format.h"

namespace fathom {

uint64_t PlannedTensor::bytes() const {
  if (is_group_quantized(dtype)) return uint64_t(shape.at(0) * row_bytes(dtype, shape.at(1)));
  uint64_t n = dtype_size(dtype);
  for (int64_t d : shape) n *= uint64_t(d);
  return n;
}

void ByteSink::write(const void* data, size_t size) {
  if (size && std::fwrite(data, 1, size, file_) != size) fail(ErrorKind::kIo, "cannot write " + path_);
  written_ += size;
}

std::vector<std::string> write_sharded_checkpoint(
    const std::string& dir, const std::vector<PlannedTensor>& tensors, uint64_t shard_bytes,
    const TensorFiller& fill, const std::function<void(uint64_t, uint64_t)>& progress) {
  // Assign tensors to shards in order, a tensor never split.
  std::vector<std::vector<size_t>> shards(1);
  uint64_t in_shard = 0, total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const uint64_t b = tensors[i].bytes();
    if (in_shard > 0 && in_shard + b > shard_bytes) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back().push_back(i);
    in_shard += b;
    total += b;
  }
  std::filesystem::create_directories(dir);
  std::vector<std::string> names;
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  uint64_t done = 0;
  for (size_t s = 0; s < shards.size(); ++s) {
    char name[64];
    if (shards.size() == 1) {
      std::snprintf(name, sizeof name, "model.safetensors");
    } else {
      std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
    }
    names.push_back(name);
    nlohmann::ordered_json header;
    header["__metadata__"] = {{"format", "pt"}};
    uint64_t offset = 0;
    for (size_t i : shards[s]) {
      const PlannedTensor& t = tensors[i];
      std::vector<int64_t> stored_shape = t.shape;
      if (is_group_quantized(t.dtype)) {  // plain codes + a metadata entry (core/quant_format.h)
        stored_shape[1] = row_bytes(t.dtype, t.shape[1]);
        header["__metadata__"][kFormatMetadataPrefix + t.name] = dtype_name(t.dtype);
      }
      header[t.name] = {{"dtype", dtype_name(storage_dtype(t.dtype))}, {"shape", stored_shape},
                        {"data_offsets", {offset, offset + t.bytes()}}};
      offset += t.bytes();
      weight_map[t.name] = name;
    }
    std::string json = header.dump();
    // Pad the header so the data buffer starts on a 64-byte boundary of the file (and so of the
    // page-aligned map): every tensor whose offset is a multiple of 64 is then cache-line aligned,
    // which AVX-512 loads of Q8_0/Q4_0 codes need to stream at full speed.
    json.append((64 - (8 + json.size()) % 64) % 64, ' ');
    const std::string path = (std::filesystem::path(dir) / name).string();
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) fail(ErrorKind::kIo, "cannot open " + path + " for writing");
    ByteSink sink(file, path);
    uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = uint8_t((uint64_t(json.size()) >> (8 * i)) & 0xff);
    try {
      sink.write(length, 8);
      sink.write(json.data(), json.size());
      for (size_t i : shards[s]) {
        const uint64_t before = sink.written();
        fill(tensors[i], sink);
        if (sink.written() - before != tensors[i].bytes()) {
          fail(ErrorKind::kInternal, "filler wrote " + std::to_string(sink.written() - before) +
                                         " bytes for " + tensors[i].name + ", expected " +
                                         std::to_string(tensors[i].bytes()));
        }
        done += tensors[i].bytes();
        if (progress) progress(done, total);
      }
    } catch (...) {
      std::fclose(file);
      throw;
    }
    if (std::fclose(file) != 0) fail(ErrorKind::kIo, "cannot write " + path);
  }
  if (shards.size() > 1) {
    const nlohmann::ordered_json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    std::ofstream out(std::filesystem::path(dir) / "model.safetensors.index.json");
    out << index.dump(2) << "\n";
    if (!out) fail(ErrorKind::kIo, "cannot write the index in " + dir);
  }
  return names;
}

}  // namespace fathom
