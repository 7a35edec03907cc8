#include "model/weights.h"

#include <set>

#include "core/error.h"
#include "core/quant_format.h"
#include "kernels/kernels.h"

namespace fathom {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

class WeightBinder {
 public:
  WeightBinder(const Checkpoint& checkpoint, const ModelConfig& config)
      : checkpoint_(checkpoint), config_(config) {}

  MatrixRef matrix(const std::string& name, int64_t rows, int64_t cols) {
    const TensorRef t = lookup(name, {rows, cols});
    MatrixRef m{t.info->dtype, rows, cols, t.data};
    switch (t.info->dtype) {
      case DType::kF32:
      case DType::kBF16:
      case DType::kF16:
        break;
      case DType::kF8E4M3:
        bind_fp8_scales(name, t, m);
        break;
      case DType::kQ8_0:
      case DType::kQ4_0:
        bind_group_scales(name, t, m);
        break;
      default:
        fail(ErrorKind::kUnsupported,
             where(name, t) + ": dtype " + dtype_name(t.info->dtype) +
                 " for a weight matrix (expected F32, BF16, F16, F8_E4M3, or fathom's Q8_0/Q4_0)");
    }
    return m;
  }

  std::vector<float> vector(const std::string& name, int64_t n) {
    const TensorRef t = lookup(name, {n});
    std::vector<float> out(static_cast<size_t>(n));
    MatrixRef row{t.info->dtype, 1, n, t.data};
    if (t.info->dtype != DType::kF32 && t.info->dtype != DType::kBF16 &&
        t.info->dtype != DType::kF16) {
      fail(ErrorKind::kUnsupported, where(name, t) + ": dtype " + dtype_name(t.info->dtype) +
                                        " for a vector (expected F32, BF16 or F16)");
    }
    kernels().dequantize_row(row, 0, out.data());
    return out;
  }

  MlpWeights mlp(const std::string& prefix, int64_t width) {
    const int64_t hidden = config_.hidden_size;
    return MlpWeights{matrix(prefix + "gate_proj.weight", width, hidden),
                      matrix(prefix + "up_proj.weight", width, hidden),
                      matrix(prefix + "down_proj.weight", hidden, width)};
  }

  // Every tensor must have been consumed: a leftover means config and checkpoint disagree
  // (e.g. MoE tensors in a layer the config calls dense).
  void check_all_used() const {
    for (const std::string& name : checkpoint_.tensor_names()) {
      if (used_.count(name)) continue;
      if (name.ends_with("rotary_emb.inv_freq")) continue;  // buffers some exporters save
      fail(ErrorKind::kCorruptFile, "tensor " + name + " (in " + *checkpoint_.get(name).file +
                                        ") is not used by the model config.json describes");
    }
  }

 private:
  std::string where(const std::string& name, const TensorRef& t) const {
    return "loading " + name + " from " + *t.file;
  }

  TensorRef lookup(const std::string& name, const std::vector<int64_t>& shape) {
    const TensorRef t = checkpoint_.get(name);
    used_.insert(name);
    if (t.info->shape != shape) {
      fail(ErrorKind::kCorruptFile, where(name, t) + ": shape " + t.info->shape_string() +
                                        " expected " + shape_string(shape));
    }
    return t;
  }

  void bind_fp8_scales(const std::string& name, const TensorRef& t, MatrixRef& m) {
    if (!config_.quantization_config) {
      fail(ErrorKind::kCorruptFile,
           where(name, t) + ": F8_E4M3 weight but config.json has no quantization_config");
    }
    const QuantizationConfig& q = *config_.quantization_config;
    const std::string scale_name = name + "_scale_inv";
    if (!checkpoint_.contains(scale_name)) {
      fail(ErrorKind::kNotFound, where(name, t) + ": F8_E4M3 weight without its " + scale_name);
    }
    const TensorRef s = lookup(scale_name, {ceil_div(m.rows, q.block_rows), ceil_div(m.cols, q.block_cols)});
    if (s.info->dtype != DType::kF32) {
      fail(ErrorKind::kCorruptFile, where(scale_name, s) + ": dtype " +
                                        dtype_name(s.info->dtype) + " expected F32");
    }
    m.block_scales = reinterpret_cast<const float*>(s.data);
    m.block_rows = q.block_rows;
    m.block_cols = q.block_cols;
  }

  // Q8_0/Q4_0 (core/quant_format.h): one float16 scale per 32 values of a row.
  void bind_group_scales(const std::string& name, const TensorRef& t, MatrixRef& m) {
    const std::string scale_name = name + kGroupScaleSuffix;
    if (!checkpoint_.contains(scale_name)) {
      fail(ErrorKind::kNotFound, where(name, t) + ": " + dtype_name(m.dtype) + " weight without its " +
                                     scale_name);
    }
    const TensorRef s = lookup(scale_name, {m.rows, m.cols / kQuantGroup});
    if (s.info->dtype != DType::kF16) {
      fail(ErrorKind::kCorruptFile, where(scale_name, s) + ": dtype " +
                                        dtype_name(s.info->dtype) + " expected F16");
    }
    m.group_scales = reinterpret_cast<const uint16_t*>(s.data);
  }

  const Checkpoint& checkpoint_;
  const ModelConfig& config_;
  std::set<std::string> used_;
};

AttentionWeights bind_attention(WeightBinder& b, const ModelConfig& c, const std::string& p) {
  const int64_t hidden = c.hidden_size, heads = c.num_attention_heads;
  AttentionWeights a;
  if (c.q_lora_rank) {
    a.q_a_proj = b.matrix(p + "q_a_proj.weight", *c.q_lora_rank, hidden);
    a.q_a_layernorm = b.vector(p + "q_a_layernorm.weight", *c.q_lora_rank);
    a.q_b_proj = b.matrix(p + "q_b_proj.weight", heads * c.qk_head_dim(), *c.q_lora_rank);
  } else {
    a.q_proj = b.matrix(p + "q_proj.weight", heads * c.qk_head_dim(), hidden);
  }
  a.kv_a_proj_with_mqa =
      b.matrix(p + "kv_a_proj_with_mqa.weight", c.kv_lora_rank + c.qk_rope_head_dim, hidden);
  a.kv_a_layernorm = b.vector(p + "kv_a_layernorm.weight", c.kv_lora_rank);
  a.kv_b_proj = b.matrix(p + "kv_b_proj.weight", heads * (c.qk_nope_head_dim + c.v_head_dim),
                         c.kv_lora_rank);
  a.o_proj = b.matrix(p + "o_proj.weight", hidden, heads * c.v_head_dim);
  return a;
}

MoeWeights bind_moe(WeightBinder& b, const ModelConfig& c, const std::string& p) {
  const int64_t experts = *c.n_routed_experts;
  MoeWeights m;
  m.gate = b.matrix(p + "gate.weight", experts, c.hidden_size);
  if (c.topk_method == TopkMethod::kNoauxTc) {
    m.e_score_correction_bias = b.vector(p + "gate.e_score_correction_bias", experts);
  }
  for (int64_t e = 0; e < experts; ++e) {
    m.experts.push_back(b.mlp(p + "experts." + std::to_string(e) + ".", c.moe_intermediate_size));
  }
  if (c.n_shared_experts > 0) {
    m.shared_experts = b.mlp(p + "shared_experts.", c.moe_intermediate_size * c.n_shared_experts);
  }
  return m;
}

DecoderLayerWeights bind_layer(WeightBinder& b, const ModelConfig& c, int64_t layer) {
  const std::string p = "model.layers." + std::to_string(layer) + ".";
  DecoderLayerWeights w;
  w.input_layernorm = b.vector(p + "input_layernorm.weight", c.hidden_size);
  w.self_attn = bind_attention(b, c, p + "self_attn.");
  w.post_attention_layernorm = b.vector(p + "post_attention_layernorm.weight", c.hidden_size);
  if (c.is_moe_layer(layer)) {
    w.moe = bind_moe(b, c, p + "mlp.");
  } else {
    w.mlp = b.mlp(p + "mlp.", c.intermediate_size);
  }
  return w;
}

}  // namespace

ModelWeights bind_model_weights(const Checkpoint& checkpoint, const ModelConfig& c) {
  WeightBinder b(checkpoint, c);
  ModelWeights w;
  w.embed_tokens = b.matrix("model.embed_tokens.weight", c.vocab_size, c.hidden_size);
  for (int64_t layer = 0; layer < c.num_hidden_layers; ++layer) {
    w.layers.push_back(bind_layer(b, c, layer));
  }
  w.norm = b.vector("model.norm.weight", c.hidden_size);
  w.lm_head = b.matrix("lm_head.weight", c.vocab_size, c.hidden_size);
  // MTP module k is stored as decoder layer num_hidden_layers + k, with its own copies of the
  // embedding and output head (V3 release layout; oracle README "MTP").
  for (int64_t k = 0; k < c.num_nextn_predict_layers; ++k) {
    const int64_t layer = c.num_hidden_layers + k;
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    MtpWeights m;
    m.embed_tokens = b.matrix(p + "embed_tokens.weight", c.vocab_size, c.hidden_size);
    m.enorm = b.vector(p + "enorm.weight", c.hidden_size);
    m.hnorm = b.vector(p + "hnorm.weight", c.hidden_size);
    m.eh_proj = b.matrix(p + "eh_proj.weight", c.hidden_size, 2 * c.hidden_size);
    m.block = bind_layer(b, c, layer);
    m.shared_head_norm = b.vector(p + "shared_head.norm.weight", c.hidden_size);
    m.shared_head_head = b.matrix(p + "shared_head.head.weight", c.vocab_size, c.hidden_size);
    w.mtp.push_back(std::move(m));
  }
  b.check_all_used();
  return w;
}

MatrixRef bind_matrix(const Checkpoint& checkpoint, const ModelConfig& config,
                      const std::string& name, int64_t rows, int64_t cols) {
  WeightBinder b(checkpoint, config);
  return b.matrix(name, rows, cols);
}

}  // namespace fathom
