// DeepSeekMoE layer for training (DeepSeek-V3 report §2.1.2, eqs. 12-20): routing, routed and
// shared experts, the complementary sequence-wise balance loss, and the expert loads the
// auxiliary-loss-free bias update needs.
//
// Gradient paths (oracle README "Router gradient paths"): the selection (s + bias, group limit,
// top-k) is piecewise constant and passes nothing; e_score_correction_bias gets no gradient. The
// combine weight of a selected expert, g_k = s_k (/ Σ_selected s if norm_topk_prob) ·
// routed_scaling_factor, passes gradient to every selected s (numerator and denominator), then
// through sigmoid (V3) or softmax (V2) into the router weight and x. The balance loss
// L_Bal = α Σ_i f_i P_i passes gradient through P_i only (f_i are counts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/config.h"
#include "train/mlp_train.h"
#include "train/params.h"

namespace fathom {

// Which experts f_i of the balance loss counts for a token (oracle README "Balance loss"):
// kTopk, the top-K_r of the unbiased affinities over all experts (V3 eq. 18 as written, and
// Megatron-LM); kRouted, the experts the token is dispatched to (biased scores under the group
// limit, what HF V2's seq_aux code counts).
enum class BalanceCount { kTopk, kRouted };
const char* balance_count_name(BalanceCount count);  // "topk" | "routed"
// Throws Error(kInvalidArgument) naming the expected values.
BalanceCount parse_balance_count(const std::string& name);

// The complementary sequence-wise balance loss of one MoE layer: weight α (0: off) and f_i's count.
struct BalanceLoss {
  double alpha = 0.0;
  BalanceCount count = BalanceCount::kTopk;
};

struct MoeParams {
  Param* gate = nullptr;                  // router [n_routed_experts, hidden]
  Param* e_score_correction_bias = nullptr;  // noaux_tc only; frozen (selection only)
  std::vector<MlpParams> experts;
  std::optional<MlpParams> shared_experts;
  static MoeParams bind(ParamStore& store, const std::string& prefix);  // "model.layers.{L}.mlp."
};

class MoeTrain {
 public:
  // `precision` applies to the routed and shared experts' GEMMs; the router stays fp32 (V3
  // report §3.3.1 keeps the gating module in its original precision).
  MoeTrain(const ModelConfig& config, MoeParams params, int64_t max_tokens,
           GemmPrecision precision);

  // x, y: [n_seq * seq_len, hidden]; x kept alive until backward(). `balance` sets the balance
  // loss, whose value (mean over the n_seq sequences of L_Bal, V3 eq. 17) balance_loss() returns
  // and whose gradient backward() adds.
  void forward(const float* x, int64_t n_seq, int64_t seq_len, const BalanceLoss& balance,
               float* y);
  void backward(const float* dy, float* dx);  // dx += ...

  double balance_loss() const { return balance_; }
  // Routed (token, expert) assignments per expert in the last forward (biased selection).
  const std::vector<int64_t>& loads() const { return loads_; }
  int64_t tokens() const { return n_; }

 private:
  const ModelConfig& c_;
  MoeParams p_;
  GemmPrecision precision_;
  int64_t experts_, top_k_, hidden_, width_;
  const float* x_ = nullptr;
  int64_t n_seq_ = 0, seq_len_ = 0, n_ = 0;
  double alpha_ = 0.0, balance_ = 0.0;
  std::vector<float> s_;                  // [n, E] unbiased affinities
  std::vector<int32_t> chosen_;           // [n, K] expert ids (routing)
  std::vector<float> combine_;            // [n, K] combine weights g_k
  std::vector<float> balance_f_;          // [n_seq, E] f_i of each sequence
  std::vector<int64_t> loads_;            // [E]
  // dispatch, grouped by expert: assignment a = (token_of_[a], slot_of_[a]); expert e owns
  // assignments offset_[e] .. offset_[e+1]-1
  std::vector<int32_t> token_of_, slot_of_;
  std::vector<int64_t> assignment_of_;    // [n, K]: the inverse, (t, k) -> a
  std::vector<int64_t> offset_, fill_;
  std::vector<int32_t> order_;            // [E] balance-loss top-k scratch
  std::vector<double> balance_p_;         // [E] P_i of one sequence
  // Experts split into one bin per thread, heaviest first into the lightest bin (LPT), so each
  // thread runs whole experts: bin b holds bin_experts_[bin_offset_[b] .. bin_offset_[b+1]-1].
  std::vector<int32_t> bin_experts_, bin_of_;
  std::vector<int64_t> bin_offset_, bin_load_, bin_fill_;
  void assign_expert_bins();
  // f(e, a0, rows) for every expert with rows, bins in parallel.
  template <typename F>
  void for_each_expert(F&& f);
  std::vector<float> xe_, ge_, ue_, he_, ye_;   // [n*K, hidden|width] packed expert rows
  std::vector<float> shared_g_, shared_u_, shared_h_, shared_y_;
  // backward scratch
  std::vector<float> dye_, dxe_, dcombine_, ds_, dlogits_;
  MlpScratch scratch_;
};

}  // namespace fathom
