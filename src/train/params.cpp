#include "train/params.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.h"
#include "core/thread_pool.h"
#include "io/checkpoint.h"
#include "io/safetensors_writer.h"
#include "kernels/kernels.h"
#include "model/weights.h"

namespace fathom {

MatrixRef Param::matrix() const {
  MatrixRef m;
  m.dtype = DType::kF32;
  m.rows = shape.empty() ? 0 : shape[0];
  m.cols = shape.size() == 2 ? shape[1] : 1;
  m.data = value.data();
  return m;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> expected_tensors(const ModelConfig& c) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  const int64_t hidden = c.hidden_size, heads = c.num_attention_heads;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    out.emplace_back(name, std::move(shape));
  };
  auto mlp = [&](const std::string& p, int64_t width) {
    add(p + "gate_proj.weight", {width, hidden});
    add(p + "up_proj.weight", {width, hidden});
    add(p + "down_proj.weight", {hidden, width});
  };
  auto layer = [&](int64_t l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {hidden});
    const std::string a = p + "self_attn.";
    if (c.q_lora_rank) {
      add(a + "q_a_proj.weight", {*c.q_lora_rank, hidden});
      add(a + "q_a_layernorm.weight", {*c.q_lora_rank});
      add(a + "q_b_proj.weight", {heads * c.qk_head_dim(), *c.q_lora_rank});
    } else {
      add(a + "q_proj.weight", {heads * c.qk_head_dim(), hidden});
    }
    add(a + "kv_a_proj_with_mqa.weight", {c.kv_lora_rank + c.qk_rope_head_dim, hidden});
    add(a + "kv_a_layernorm.weight", {c.kv_lora_rank});
    add(a + "kv_b_proj.weight", {heads * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank});
    add(a + "o_proj.weight", {hidden, heads * c.v_head_dim});
    add(p + "post_attention_layernorm.weight", {hidden});
    if (c.is_moe_layer(l)) {
      const int64_t experts = *c.n_routed_experts;
      add(p + "mlp.gate.weight", {experts, hidden});
      if (c.topk_method == TopkMethod::kNoauxTc) add(p + "mlp.gate.e_score_correction_bias", {experts});
      for (int64_t e = 0; e < experts; ++e) {
        mlp(p + "mlp.experts." + std::to_string(e) + ".", c.moe_intermediate_size);
      }
      if (c.n_shared_experts > 0) {
        mlp(p + "mlp.shared_experts.", c.moe_intermediate_size * c.n_shared_experts);
      }
    } else {
      mlp(p + "mlp.", c.intermediate_size);
    }
  };
  add("model.embed_tokens.weight", {c.vocab_size, hidden});
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) layer(l);
  add("model.norm.weight", {hidden});
  add("lm_head.weight", {c.vocab_size, hidden});
  for (int64_t l = c.num_hidden_layers; l < c.num_layers_with_mtp(); ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "embed_tokens.weight", {c.vocab_size, hidden});
    add(p + "enorm.weight", {hidden});
    add(p + "hnorm.weight", {hidden});
    add(p + "eh_proj.weight", {hidden, 2 * hidden});
    layer(l);
    add(p + "shared_head.norm.weight", {hidden});
    add(p + "shared_head.head.weight", {c.vocab_size, hidden});
  }
  return out;
}

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kIo, "cannot open " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_frozen(const std::string& name) { return name.ends_with("e_score_correction_bias"); }

Param make_param(const std::string& name, std::vector<int64_t> shape) {
  Param p;
  p.name = name;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  p.shape = std::move(shape);
  p.value.assign(size_t(n), 0.0f);
  p.grad.assign(size_t(n), 0.0f);
  p.trainable = !is_frozen(name);
  p.decay = p.trainable && p.shape.size() >= 2 && !name.ends_with(".bias");
  return p;
}

// Dequantizes one stored tensor into p.value (any dtype the inference loader accepts).
void read_tensor(const Checkpoint& ck, const ModelConfig& c, Param& p) {
  const TensorRef t = ck.get(p.name);
  MatrixRef m;
  m.dtype = t.info->dtype;
  m.rows = p.shape[0];
  m.cols = p.shape.size() == 2 ? p.shape[1] : 1;
  m.data = t.data;
  if (m.dtype == DType::kF8E4M3) {
    // bind_model_weights already checked that the scale exists with the right shape.
    const TensorRef s = ck.get(p.name + "_scale_inv");
    m.block_scales = reinterpret_cast<const float*>(s.data);
    m.block_rows = c.quantization_config ? c.quantization_config->block_rows : 128;
    m.block_cols = c.quantization_config ? c.quantization_config->block_cols : 128;
  }
  for (int64_t r = 0; r < m.rows; ++r) {
    kernels().dequantize_row(m, r, p.value.data() + r * m.cols);
  }
}

}  // namespace

void ParamStore::add(Param p) {
  params_.push_back(std::make_unique<Param>(std::move(p)));
  by_name_[params_.back()->name] = params_.back().get();
}

void ParamStore::tie_mtp_copies() {
  const ModelConfig& c = config_;
  for (int64_t l = c.num_hidden_layers; l < c.num_layers_with_mtp(); ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    tied_[p + "embed_tokens.weight"] = "model.embed_tokens.weight";
    tied_[p + "shared_head.head.weight"] = "lm_head.weight";
  }
}

ParamStore ParamStore::load(const std::string& dir, MtpTying tying) {
  ParamStore s;
  s.config_ = load_model_config(dir);
  s.config_json_ = read_text((std::filesystem::path(dir) / "config.json").string());
  const Checkpoint ck(dir);
  // Validation only: names every mismatched shape or dtype, refuses unused tensors.
  (void)bind_model_weights(ck, s.config_);
  if (tying == MtpTying::kTied) s.tie_mtp_copies();
  std::vector<std::pair<std::string, std::vector<float>>> copies;
  for (auto& [name, shape] : expected_tensors(s.config_)) {
    Param p = make_param(name, shape);
    read_tensor(ck, s.config_, p);
    if (s.tied_.count(name)) {
      copies.emplace_back(name, std::move(p.value));
      continue;
    }
    s.add(std::move(p));
  }
  for (auto& [name, value] : copies) {
    const Param& main = s.get(s.tied_.at(name));
    if (value != main.value) {
      fail(ErrorKind::kUnsupported, dir + ": " + name + " differs from " + main.name +
                                        "; training ties them (DeepSeek-V3 report §2.2)");
    }
  }
  return s;
}

ParamStore ParamStore::init(const ModelConfig& config, std::string config_json, uint64_t seed) {
  ParamStore s;
  s.config_ = config;
  s.config_json_ = std::move(config_json);
  s.tie_mtp_copies();
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto& [name, shape] : expected_tensors(config)) {
    if (s.tied_.count(name)) continue;
    Param p = make_param(name, shape);
    if (shape.size() == 1) {
      // RMSNorm gains start at 1; the router bias at 0.
      for (float& v : p.value) v = is_frozen(name) ? 0.0f : 1.0f;
    } else {
      // Embeddings N(0, 1); every other matrix N(0, 1/fan_in) so activations keep unit scale;
      // lm_head N(0, 1/fan_in) keeps initial logits near uniform (loss ≈ ln V).
      const bool embedding = name.ends_with("embed_tokens.weight");
      const float std = embedding ? 1.0f : 1.0f / std::sqrt(float(shape[1]));
      for (float& v : p.value) v = std * normal(rng);
    }
    s.add(std::move(p));
  }
  return s;
}

bool ParamStore::contains(const std::string& name) const {
  return by_name_.count(name) > 0 || tied_.count(name) > 0;
}

Param& ParamStore::get(const std::string& name) {
  return const_cast<Param&>(static_cast<const ParamStore&>(*this).get(name));
}

const Param& ParamStore::get(const std::string& name) const {
  auto tied = tied_.find(name);
  const std::string& key = tied == tied_.end() ? name : tied->second;
  auto it = by_name_.find(key);
  if (it == by_name_.end()) fail(ErrorKind::kNotFound, "no parameter named " + name);
  return *it->second;
}

std::vector<Param*> ParamStore::all() {
  std::vector<Param*> out;
  for (auto& p : params_) out.push_back(p.get());
  return out;
}

std::vector<const Param*> ParamStore::all() const {
  std::vector<const Param*> out;
  for (auto& p : params_) out.push_back(p.get());
  return out;
}

std::vector<ParamChunk> param_chunks(const std::vector<int64_t>& sizes, int64_t block) {
  std::vector<ParamChunk> chunks;
  for (size_t k = 0; k < sizes.size(); ++k) {
    for (int64_t b = 0; b < sizes[k]; b += block)
      chunks.push_back({k, b, std::min(sizes[k], b + block)});
  }
  return chunks;
}

void ParamStore::zero_grads() {
  const std::vector<Param*> params = all();
  std::vector<int64_t> sizes;
  for (const Param* p : params) sizes.push_back(p->numel());
  const std::vector<ParamChunk> chunks = param_chunks(sizes, 1 << 16);
  parallel_for(int64_t(chunks.size()), 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const ParamChunk& k = chunks[size_t(c)];
      std::fill(params[k.index]->grad.begin() + k.begin, params[k.index]->grad.begin() + k.end,
                0.0f);
    }
  });
}

void ParamStore::save_checkpoint(const std::string& dir) const {
  std::filesystem::create_directories(dir);
  std::vector<TensorToWrite> tensors;
  for (auto& [name, shape] : expected_tensors(config_)) {
    const Param& p = get(name);
    tensors.push_back(TensorToWrite{
        name, DType::kF32, shape,
        std::string_view(reinterpret_cast<const char*>(p.value.data()), p.value.size() * 4)});
  }
  write_safetensors((std::filesystem::path(dir) / "model.safetensors").string(), tensors);
  if (config_json_.empty()) fail(ErrorKind::kInternal, "save_checkpoint: no config.json text");
  std::ofstream out((std::filesystem::path(dir) / "config.json").string(), std::ios::trunc);
  out << config_json_;
  if (!out) fail(ErrorKind::kIo, "cannot write " + dir + "/config.json");
}

}  // namespace fathom
