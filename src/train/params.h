// Trainable parameters: every tensor of a DeepSeek-V2/V3 checkpoint as an fp32 master copy with
// a gradient buffer beside it, addressed by its official HF name. FP8/BF16 tensors are
// dequantized once at load (the gradient is taken w.r.t. W = fp8(code) * scale_inv, the master
// weight a trainer holds; oracle README "Training cases").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/matrix.h"
#include "model/config.h"

namespace fathom {

struct Param {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> value;  // fp32 master weight
  std::vector<float> grad;   // d(loss)/d(value), same size
  // e_score_correction_bias is not an optimizer parameter: it only enters the (piecewise
  // constant) expert selection and changes by the aux-loss-free update (V3 report §2.1.2).
  bool trainable = true;
  // Megatron-LM's default decay mask: parameters with >= 2 dims decay; norms and biases do not.
  bool decay = false;

  int64_t numel() const { return int64_t(value.size()); }
  // The value as a [rows, cols] f32 matrix for the kernel table (2-D parameters only).
  MatrixRef matrix() const;
};

// The MTP module's embed_tokens / shared_head.head: TIED to model.embed_tokens / lm_head (V3
// §2.2: "shared with the main model"; one Param, the checkpoint's copies must be identical), or
// UNTIED, separate parameters with gradients of their own (the oracle's --untie-mtp).
enum class MtpTying { kTied, kUntied };

class ParamStore {
 public:
  // Loads config.json + safetensors of `dir` (shapes checked by bind_model_weights).
  static ParamStore load(const std::string& dir, MtpTying tying = MtpTying::kTied);
  // Fresh parameters for `config` with the oracle's initialisation scheme (embeddings N(0,1),
  // linears N(0, 1/fan_in), norms 1, router N(0, 1/hidden), bias 0), deterministic in seed.
  // `config_json` is the config.json text saved with checkpoints.
  static ParamStore init(const ModelConfig& config, std::string config_json, uint64_t seed);

  const ModelConfig& config() const { return config_; }
  // Throws Error(kNotFound) for an unknown name. Tied copies return the main parameter.
  Param& get(const std::string& name);
  const Param& get(const std::string& name) const;
  bool contains(const std::string& name) const;
  // Every distinct parameter (tied copies appear once, under the main name), in load order.
  std::vector<Param*> all();
  std::vector<const Param*> all() const;
  // name of tied copy -> name of the parameter it aliases
  const std::map<std::string, std::string>& tied() const { return tied_; }

  void zero_grads();
  // Writes config.json + model.safetensors (all F32, tied copies written out as copies, as the
  // release stores them) into `dir`, creating it if needed.
  void save_checkpoint(const std::string& dir) const;

 private:
  void add(Param p);
  void tie_mtp_copies();

  ModelConfig config_;
  std::string config_json_;  // the original config.json text, rewritten on save
  std::vector<std::unique_ptr<Param>> params_;
  std::map<std::string, Param*> by_name_;
  std::map<std::string, std::string> tied_;
};

// Pieces of at most `block` elements of tensors of the given sizes, in order: the work units of
// the threaded whole-model loops (AdamW, the gradient norm, zeroing), one parallel_for over all
// of them rather than one per tensor. Fixed by the shapes alone, so per-piece partial results
// combine in the same order for any thread count.
struct ParamChunk {
  size_t index;  // into sizes
  int64_t begin, end;
};
std::vector<ParamChunk> param_chunks(const std::vector<int64_t>& sizes, int64_t block);

// The tensor names a config calls for (HF layout), with shapes, in a fixed order.
std::vector<std::pair<std::string, std::vector<int64_t>>> expected_tensors(const ModelConfig& c);

}  // namespace fathom
