#include "model/synthetic_checkpoint.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "core/error.h"
#include "core/quant_format.h"
#include "io/sharded_writer.h"
#include "model/tensor_list.h"

namespace fathom {
namespace {

// splitmix64 (Steele et al. 2014): a fast, well-mixed stream; normals by Box-Muller.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float uniform() { return float(next() >> 40) * 0x1.0p-24f; }  // [0, 1)
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const float u1 = std::max(uniform(), 1e-12f), u2 = uniform();
    const float r = std::sqrt(-2.0f * std::log(u1));
    spare_ = r * std::sin(6.2831853f * u2);
    has_spare_ = true;
    return r * std::cos(6.2831853f * u2);
  }

 private:
  uint64_t state_;
  float spare_ = 0.0f;
  bool has_spare_ = false;
};

uint64_t name_hash(const std::string& name) {  // FNV-1a
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

// One value of a tensor with `role` (the oracle's random init, dsref/checkpoint.py).
float draw(TensorRole role, const std::vector<int64_t>& shape, int64_t hidden, Random& rng) {
  switch (role) {
    case TensorRole::kEmbedding: return rng.normal();
    case TensorRole::kHead: return rng.normal() * 3.0f / std::sqrt(float(hidden));
    case TensorRole::kRouter: return rng.normal() / std::sqrt(float(hidden));
    case TensorRole::kNorm: return 0.8f + 0.4f * rng.uniform();
    case TensorRole::kRouterBias: return -0.1f + 0.2f * rng.uniform();
    case TensorRole::kLinear:
    case TensorRole::kProjection: return rng.normal() / std::sqrt(float(shape.back()));
  }
  return 0.0f;
}

}  // namespace

void write_synthetic_checkpoint(const nlohmann::json& config_json, const std::string& out_dir,
                                const SynthOptions& options,
                                const std::function<void(uint64_t, uint64_t)>& progress) {
  nlohmann::json config_out = config_json;
  if (options.format == WeightFormat::kFp8) {
    config_out["quantization_config"] = {{"activation_scheme", "dynamic"}, {"fmt", "e4m3"},
                                         {"quant_method", "fp8"}, {"weight_block_size", {128, 128}}};
  } else {
    config_out.erase("quantization_config");
  }
  config_out["torch_dtype"] = options.format == WeightFormat::kF32 ? "float32" : "bfloat16";
  const ModelConfig config = parse_model_config(config_out.dump(), "config.json");
  const int64_t block_rows = config.quantization_config ? config.quantization_config->block_rows : 128;
  const int64_t block_cols = config.quantization_config ? config.quantization_config->block_cols : 128;

  const std::vector<TensorSpec> specs = checkpoint_tensors(config);
  std::map<std::string, TensorRole> roles;
  std::vector<PlannedTensor> plan, scales;
  for (const TensorSpec& s : specs) {
    roles[s.name] = s.role;
    const DType dtype = stored_dtype(s.role, s.shape, options.format);
    plan.push_back({s.name, dtype, s.shape});
    if (is_group_quantized(dtype)) {  // right after its weight: only one tensor's scales pending
      plan.push_back({s.name + kGroupScaleSuffix, DType::kF16, {s.shape[0], s.shape[1] / kQuantGroup}});
    }
    if (dtype == DType::kF8E4M3) {
      scales.push_back({s.name + "_scale_inv", DType::kF32,
                        {(s.shape[0] + block_rows - 1) / block_rows, (s.shape[1] + block_cols - 1) / block_cols}});
    }
  }
  plan.insert(plan.end(), scales.begin(), scales.end());  // each after its weight

  std::map<std::string, std::vector<float>> pending_scales;
  std::map<std::string, std::vector<uint8_t>> pending_group_scales;
  const int64_t hidden = config.hidden_size;
  auto fill = [&](const PlannedTensor& t, ByteSink& sink) {
    if (auto it = pending_scales.find(t.name); it != pending_scales.end()) {
      sink.write(it->second.data(), it->second.size() * sizeof(float));
      pending_scales.erase(it);
      return;
    }
    if (auto it = pending_group_scales.find(t.name); it != pending_group_scales.end()) {
      sink.write(it->second.data(), it->second.size());
      pending_group_scales.erase(it);
      return;
    }
    const TensorRole role = roles.at(t.name);
    Random rng(options.seed ^ name_hash(t.name));
    const int64_t cols = t.shape.back();
    const int64_t rows = t.shape.size() > 1 ? t.shape[0] : 1;
    const int64_t chunk_rows = t.dtype == DType::kF8E4M3 ? block_rows : std::max<int64_t>(1, (1 << 20) / cols);
    std::vector<float> values;
    std::vector<uint8_t> bytes;
    std::vector<float>& block_scales = pending_scales[t.name + "_scale_inv"];
    if (t.dtype != DType::kF8E4M3) pending_scales.erase(t.name + "_scale_inv");
    std::vector<uint8_t> unused_scales;
    std::vector<uint8_t>& group_scales = is_group_quantized(t.dtype)
                                             ? pending_group_scales[t.name + kGroupScaleSuffix]
                                             : unused_scales;
    for (int64_t r0 = 0; r0 < rows; r0 += chunk_rows) {
      const int64_t n = std::min(chunk_rows, rows - r0);
      values.resize(size_t(n * cols));
      for (float& v : values) v = draw(role, t.shape, hidden, rng);
      if (t.dtype != DType::kF8E4M3) {
        bytes.clear();
        encode_rows(t.dtype, values.data(), n, cols, bytes, group_scales);
        sink.write(bytes.data(), bytes.size());
      } else {
        bytes.clear();
        encode_fp8_block_row(values.data(), n, cols, block_cols, bytes, block_scales);
        sink.write(bytes.data(), bytes.size());
      }
    }
  };
  write_sharded_checkpoint(out_dir, plan, options.shard_bytes, fill, progress);
  std::ofstream out(std::filesystem::path(out_dir) / "config.json");
  out << config_out.dump(2) << "\n";
  if (!out) fail(ErrorKind::kIo, "cannot write " + out_dir + "/config.json");
}

}  // namespace fathom
