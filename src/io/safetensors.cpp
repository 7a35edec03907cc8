#include "io/safetensors.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/checked_math.h"
#include "core/error.h"
#include "core/quant_format.h"

namespace fathom {
namespace {

using nlohmann::json;

[[noreturn]] void corrupt(const std::string& label, const std::string& message) {
  fail(ErrorKind::kCorruptFile, label + ": " + message);
}

uint64_t read_u64_le(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | uint8_t(bytes[size_t(i)]);
  return value;
}

TensorInfo parse_tensor_entry(const std::string& name, const json& entry, uint64_t data_size,
                              const std::string& label) {
  const std::string where = label + ": tensor " + name;
  if (!entry.is_object()) corrupt(where, "entry is not a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!entry.contains(key)) corrupt(where, std::string("missing \"") + key + "\"");
  }
  TensorInfo t;
  t.name = name;
  const json& dtype = entry["dtype"];
  if (!dtype.is_string()) corrupt(where, "dtype is not a string");
  auto parsed = dtype_from_name(dtype.get<std::string>());
  if (!parsed) {
    fail(ErrorKind::kUnsupported, where + ": unknown dtype \"" + dtype.get<std::string>() +
                                      "\" (expected F64, F32, F16, BF16, F8_E4M3, I64, I32, "
                                      "I16, I8, U8 or BOOL)");
  }
  t.dtype = *parsed;

  const json& shape = entry["shape"];
  if (!shape.is_array()) corrupt(where, "shape is not an array");
  uint64_t numel = 1;
  for (const json& dim : shape) {
    if (!dim.is_number_unsigned()) corrupt(where, "shape has a non-integer or negative dimension");
    const uint64_t d = dim.get<uint64_t>();
    if (d > uint64_t(INT64_MAX)) corrupt(where, "dimension too large");
    t.shape.push_back(int64_t(d));
    if (!checked_mul(numel, d, &numel)) corrupt(where, "element count overflows");
  }
  uint64_t nbytes = 0;
  if (!checked_mul(numel, dtype_size(t.dtype), &nbytes)) corrupt(where, "byte size overflows");

  const json& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    corrupt(where, "data_offsets must be two non-negative integers");
  }
  t.begin = offsets[0].get<uint64_t>();
  t.end = offsets[1].get<uint64_t>();
  if (t.begin > t.end) corrupt(where, "data_offsets begin > end");
  if (t.end > data_size) {
    corrupt(where, "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                       "] past the end of the data (" + std::to_string(data_size) +
                       " bytes; file truncated?)");
  }
  if (t.end - t.begin != nbytes) {
    corrupt(where, "data_offsets span " + std::to_string(t.end - t.begin) + " bytes but " +
                       dtype_name(t.dtype) + " " + t.shape_string() + " needs " +
                       std::to_string(nbytes));
  }
  return t;
}

// fathom's grouped-integer formats are stored as plain I8/U8 code tensors named in the metadata
// (core/quant_format.h); give them back their format and logical [rows, cols] shape.
void apply_group_formats(SafetensorsHeader& header, const std::string& label) {
  const std::string prefix = kFormatMetadataPrefix;
  for (const auto& [key, value] : header.metadata) {
    if (!key.starts_with(prefix)) continue;
    const std::string name = key.substr(prefix.size());
    const std::string where = label + ": tensor " + name;
    auto it = header.tensors.find(name);
    if (it == header.tensors.end()) corrupt(label, "metadata " + key + " names no tensor");
    TensorInfo& t = it->second;
    DType format;
    if (value == "Q8_0") {
      format = DType::kQ8_0;
    } else if (value == "Q4_0") {
      format = DType::kQ4_0;
    } else {
      fail(ErrorKind::kUnsupported, where + ": unknown format \"" + value + "\" in " + key +
                                        " (expected Q8_0 or Q4_0)");
    }
    if (t.dtype != storage_dtype(format) || t.shape.size() != 2) {
      corrupt(where, std::string(value) + " codes must be a 2-D " + dtype_name(storage_dtype(format)) +
                         " tensor, found " + dtype_name(t.dtype) + " " + t.shape_string());
    }
    const int64_t cols = format == DType::kQ4_0 ? t.shape[1] * 2 : t.shape[1];
    if (cols % kQuantGroup != 0) {
      corrupt(where, std::string(value) + " needs a multiple of " + std::to_string(kQuantGroup) +
                         " columns, found " + std::to_string(cols));
    }
    t.dtype = format;
    t.shape[1] = cols;
  }
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // validated not to overflow at parse time
  return n;
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

SafetensorsHeader parse_safetensors_header(std::string_view prefix, uint64_t file_size,
                                           const std::string& label) {
  if (file_size < 8 || prefix.size() < 8) {
    corrupt(label, "file is " + std::to_string(file_size) +
                       " bytes, too short for a safetensors header (truncated?)");
  }
  const uint64_t header_len = read_u64_le(prefix);
  if (header_len > kMaxSafetensorsHeaderBytes) {
    corrupt(label, "header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  }
  if (header_len > file_size - 8) {
    corrupt(label, "header length " + std::to_string(header_len) + " runs past the end of the " +
                       std::to_string(file_size) + "-byte file (truncated?)");
  }
  if (prefix.size() < 8 + header_len) corrupt(label, "header not fully available");

  json root = json::parse(prefix.substr(8, header_len), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) corrupt(label, "header is not valid JSON");
  if (!root.is_object()) corrupt(label, "header is not a JSON object");

  SafetensorsHeader header;
  header.data_start = 8 + header_len;
  const uint64_t data_size = file_size - header.data_start;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) corrupt(label, "__metadata__ is not an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string()) corrupt(label, "__metadata__." + m.key() + " is not a string");
        header.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    header.tensors.emplace(it.key(), parse_tensor_entry(it.key(), it.value(), data_size, label));
  }

  apply_group_formats(header, label);

  // No two tensors may share bytes (a crafted file could alias a weight onto another).
  std::vector<const TensorInfo*> by_offset;
  for (const auto& [name, t] : header.tensors) {
    if (t.end > t.begin) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i]->begin < by_offset[i - 1]->end) {
      corrupt(label, "tensors " + by_offset[i - 1]->name + " and " + by_offset[i]->name +
                         " overlap in the data buffer");
    }
  }
  return header;
}

SafetensorsFile::SafetensorsFile(const std::string& path)
    : file_(std::make_unique<MappedFile>(path)) {
  header_ = parse_safetensors_header(file_->bytes(), file_->size(), path);
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = header_.tensors.find(name);
  return it == header_.tensors.end() ? nullptr : &it->second;
}

}  // namespace fathom
