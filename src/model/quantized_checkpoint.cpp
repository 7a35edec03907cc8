#include "model/quantized_checkpoint.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"
#include "core/quant_format.h"
#include "io/checkpoint.h"
#include "io/sharded_writer.h"
#include "kernels/kernels.h"
#include "model/config.h"
#include "model/tensor_list.h"
#include "model/weights.h"

namespace fathom {
namespace {

namespace fs = std::filesystem;

// Files a checkpoint directory carries besides its weights and config, copied as they are.
bool is_companion_file(const fs::path& p) {
  const std::string name = p.filename().string();
  return name == "tokenizer.json" || name == "tokenizer_config.json" ||
         name == "generation_config.json" || name == "special_tokens_map.json" ||
         name == "tokenizer.model" || p.extension() == ".jinja";
}

// Roles whose stored bytes are copied unchanged: tiny, and where rounding matters most.
bool copied_as_stored(TensorRole role) {
  return role == TensorRole::kNorm || role == TensorRole::kRouter || role == TensorRole::kRouterBias;
}

// FP8 output uses DeepSeek-V3's 128x128 blocks.
constexpr int64_t kFp8Block = 128;

nlohmann::json output_config(const std::string& in_dir, WeightFormat format) {
  nlohmann::json config = nlohmann::json::parse(read_text_file((fs::path(in_dir) / "config.json").string()));
  config.erase("quantization_config");
  if (format == WeightFormat::kFp8) {
    config["quantization_config"] = {{"activation_scheme", "dynamic"}, {"fmt", "e4m3"},
                                     {"quant_method", "fp8"}, {"weight_block_size", {kFp8Block, kFp8Block}}};
  }
  config["torch_dtype"] = format == WeightFormat::kF32 ? "float32" : "bfloat16";
  // For people and tools reading config.json; the loader goes by the safetensors headers.
  config["fathom_quantization"] = {{"format", weight_format_name(format)}, {"group_size", kQuantGroup}};
  return config;
}

}  // namespace

QuantizeSummary write_quantized_checkpoint(const std::string& in_dir, const std::string& out_dir,
                                           const QuantizeOptions& options,
                                           const std::function<void(uint64_t, uint64_t)>& progress) {
  std::error_code ec;
  if (fs::exists(out_dir) && fs::equivalent(in_dir, out_dir, ec)) {
    fail(ErrorKind::kInvalidArgument, "quantize: --out must differ from --model (" + out_dir + ")");
  }
  const Checkpoint checkpoint(in_dir);
  const ModelConfig config = load_model_config(in_dir);
  bind_model_weights(checkpoint, config);  // every tensor present, shaped and typed right

  QuantizeSummary summary;
  std::map<std::string, TensorSpec> specs;
  std::vector<PlannedTensor> plan;
  for (const TensorSpec& s : checkpoint_tensors(config)) {
    specs[s.name] = s;
    const TensorRef source = checkpoint.get(s.name);
    const DType dtype = copied_as_stored(s.role) ? source.info->dtype : stored_dtype(s.role, s.shape, options.format);
    plan.push_back({s.name, dtype, s.shape});
    if (is_group_quantized(dtype)) {
      plan.push_back({s.name + kGroupScaleSuffix, DType::kF16, {s.shape[0], s.shape[1] / kQuantGroup}});
    }
    if (dtype == DType::kF8E4M3) {
      plan.push_back({s.name + "_scale_inv", DType::kF32,
                      {(s.shape[0] + kFp8Block - 1) / kFp8Block, (s.shape[1] + kFp8Block - 1) / kFp8Block}});
    }
    summary.bytes_in += source.info->end - source.info->begin;
    if (source.info->dtype == DType::kF8E4M3) {
      const TensorRef scale = checkpoint.get(s.name + "_scale_inv");
      summary.bytes_in += scale.info->end - scale.info->begin;
    }
    int64_t n = 1;
    for (int64_t d : s.shape) n *= d;
    summary.params += n;
  }
  for (const PlannedTensor& t : plan) summary.bytes_out += t.bytes();

  // The scales of the tensor just written (planned right after it).
  std::vector<uint8_t> pending_scales;
  std::vector<float> pending_fp8_scales;
  std::vector<float> rows;
  std::vector<uint8_t> codes;
  auto fill = [&](const PlannedTensor& t, ByteSink& sink) {
    if (!specs.count(t.name)) {
      if (t.dtype == DType::kF32) {  // FP8 scale_inv
        sink.write(pending_fp8_scales.data(), pending_fp8_scales.size() * sizeof(float));
        pending_fp8_scales.clear();
      } else {
        sink.write(pending_scales.data(), pending_scales.size());
        pending_scales.clear();
      }
      return;
    }
    const TensorSpec& spec = specs.at(t.name);
    const TensorRef source = checkpoint.get(t.name);
    if (copied_as_stored(spec.role)) {
      sink.write(source.data, source.info->end - source.info->begin);
      return;
    }
    const int64_t n_rows = spec.shape[0], cols = spec.shape[1];
    const MatrixRef m = bind_matrix(checkpoint, config, t.name, n_rows, cols);
    // ~16 MB of floats at a time; FP8 one row of scale blocks at a time.
    const int64_t chunk = t.dtype == DType::kF8E4M3 ? kFp8Block : std::max<int64_t>(1, (int64_t(1) << 22) / cols);
    for (int64_t r0 = 0; r0 < n_rows; r0 += chunk) {
      const int64_t n = std::min(chunk, n_rows - r0);
      rows.resize(size_t(n * cols));
      for (int64_t r = 0; r < n; ++r) kernels().dequantize_row(m, r0 + r, &rows[size_t(r * cols)]);
      codes.clear();
      if (t.dtype == DType::kF8E4M3) {
        encode_fp8_block_row(rows.data(), n, cols, kFp8Block, codes, pending_fp8_scales);
      } else {
        encode_rows(t.dtype, rows.data(), n, cols, codes, pending_scales);
      }
      sink.write(codes.data(), codes.size());
    }
  };
  fs::create_directories(out_dir);
  write_sharded_checkpoint(out_dir, plan, options.shard_bytes, fill, progress);

  std::ofstream out(fs::path(out_dir) / "config.json");
  out << output_config(in_dir, options.format).dump(2) << "\n";
  if (!out) fail(ErrorKind::kIo, "cannot write " + out_dir + "/config.json");
  for (const auto& entry : fs::directory_iterator(in_dir)) {
    if (!entry.is_regular_file() || !is_companion_file(entry.path())) continue;
    fs::copy_file(entry.path(), fs::path(out_dir) / entry.path().filename(),
                  fs::copy_options::overwrite_existing);
    summary.copied_files.push_back(entry.path().filename().string());
  }
  return summary;
}

}  // namespace fathom
