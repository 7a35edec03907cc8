// SwiGLU feed-forward (dense layers, routed and shared experts) with its backward pass:
//   y = down_proj(silu(gate_proj(x)) · up_proj(x))       (DeepSeek-V3 report §2.1.2)
// Activations live in caller-owned buffers so a MoE layer can pack all experts' rows into one
// allocation sized once per run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/gemm_precision.h"
#include "train/params.h"

namespace fathom {

struct MlpParams {
  Param* gate_proj = nullptr;  // [width, hidden]
  Param* up_proj = nullptr;    // [width, hidden]
  Param* down_proj = nullptr;  // [hidden, width]
  // prefix: "model.layers.{L}.mlp." / "...mlp.experts.{e}." / "...mlp.shared_experts."
  static MlpParams bind(ParamStore& store, const std::string& prefix);
  int64_t width() const { return gate_proj->shape[0]; }
};

// Saved activations of n rows: g, u, h are [n, width].
struct MlpActivations {
  float* g = nullptr;
  float* u = nullptr;
  float* h = nullptr;
};

// Storage for the backward's dg, du, dh of up to `rows` rows; rows(first, width) views the rows
// from `first` on as [·, width] (a MoE layer gives each expert its own rows).
struct MlpScratch {
  std::vector<float> dg, du, dh;
  void reserve(int64_t rows, int64_t width);
  MlpActivations rows(int64_t first, int64_t width) {
    const auto o = size_t(first * width);
    return {&dg[o], &du[o], &dh[o]};
  }
};

// `precision` applies to the three projections' GEMMs (ops.h linear_forward).
void mlp_forward(const MlpParams& p, const float* x, int64_t n, MlpActivations a, float* y,
                 GemmPrecision precision);
// dx (+)= d(loss)/dx (accumulate_dx) ; parameter gradients accumulate. `grads` receives dg, du
// and dh ([n, width] each).
void mlp_backward(const MlpParams& p, const float* x, int64_t n, MlpActivations a,
                  const float* dy, MlpActivations grads, float* dx, bool accumulate_dx,
                  GemmPrecision precision);

// A dense FFN with its own activation storage (dense layers).
class MlpTrain {
 public:
  MlpTrain(MlpParams params, int64_t max_tokens, GemmPrecision precision);
  void forward(const float* x, int64_t n, float* y);  // x kept until backward()
  void backward(const float* dy, float* dx);          // dx += ...

 private:
  MlpParams p_;
  GemmPrecision precision_;
  const float* x_ = nullptr;
  int64_t n_ = 0;
  std::vector<float> g_, u_, h_;
  MlpScratch scratch_;
};

}  // namespace fathom
