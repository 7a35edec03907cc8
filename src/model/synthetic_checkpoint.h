// Random-weight checkpoints of any config, written straight to disk in the official layout
// (fathom synth): benchmarks at real shapes (DeepSeek-V2-Lite's 15.7 B parameters, V3's 671 B)
// without downloading weights, and without ever holding the model in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "model/config.h"
#include "model/weight_encoding.h"

namespace fathom {

struct SynthOptions {
  WeightFormat format = WeightFormat::kBF16;
  uint64_t seed = 0;
  uint64_t shard_bytes = uint64_t(4) << 30;
};

// Writes OUT/config.json (the input config; for fp8 with DeepSeek-V3's quantization_config) and
// the safetensors. Values follow the oracle's initialization (linear N(0, 1/fan_in), embeddings
// N(0, 1), norms U(0.8, 1.2), ...); fp8 weights are quantized per block like the V3 release
// (scale_inv = block amax / 448), q8/q4 ones as `fathom quantize` writes them (stored_dtype).
// Deterministic in (config, format, seed).
void write_synthetic_checkpoint(const nlohmann::json& config_json, const std::string& out_dir,
                                const SynthOptions& options,
                                const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace fathom
