// The forward pass gives the same bits at any thread count: every output element's arithmetic
// runs whole inside one task (kernels split output rows; attention splits heads and query blocks;
// MoE splits expert row chunks), so only the schedule depends on the pool. Checked on a
// synthetic model large enough that every stage actually splits across threads, on the prefill
// (decompressed) path, the decode (weight-absorbed) path, and a batched step. Likewise a prefill
// row does not depend on the rows after it, however the MoE layer groups them into waves.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "model/model.h"
#include "model/synthetic_checkpoint.h"
#include "test_util.h"

namespace fathom {
namespace {

// DeepSeek-V2-Lite's layout (dense first layer, softmax routing, shared experts, direct q_proj),
// scaled down; plus a q_lora_rank variant (V3's low-rank query path).
nlohmann::json mid_size_config(bool q_lora) {
  auto c = nlohmann::json::parse(
      testing::read_file(testing::source_path("tests/model/data/deepseek_v2_lite_config.json")));
  c["hidden_size"] = 256;
  c["intermediate_size"] = 640;
  c["moe_intermediate_size"] = 192;
  c["n_routed_experts"] = 16;
  c["num_experts_per_tok"] = 4;
  c["n_shared_experts"] = 1;
  c["num_attention_heads"] = 6;
  c["num_key_value_heads"] = 6;
  c["kv_lora_rank"] = 128;
  c["qk_nope_head_dim"] = 32;
  c["qk_rope_head_dim"] = 16;
  c["v_head_dim"] = 32;
  c["num_hidden_layers"] = 2;
  c["vocab_size"] = 1000;
  c["bos_token_id"] = 0;
  c["eos_token_id"] = 1;
  if (q_lora) c["q_lora_rank"] = 96;
  return c;
}

// Logits of: a 150-token prefill, 4 decode steps after it, a 3-token chunk on the absorbed path,
// and a batch of a prefill and a decode step.
std::vector<float> run_everything(const Model& model) {
  std::vector<int32_t> tokens(160);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = int32_t((i * 37 + 11) % 1000);
  const std::span<const int32_t> all(tokens);
  std::vector<float> out;
  auto keep = [&](const std::vector<float>& v) { out.insert(out.end(), v.begin(), v.end()); };

  KVCache cache = model.make_cache(200);
  StepOptions options;
  keep(model.step(all.subspan(0, 150), cache, options).logits);
  for (size_t i = 150; i < 154; ++i) keep(model.step(all.subspan(i, 1), cache, options).logits);
  options.attention = AttentionPath::kAbsorbed;
  keep(model.step(all.subspan(154, 3), cache, options).logits);

  KVCache a = model.make_cache(200), b = model.make_cache(200);
  model.step(all.subspan(0, 40), b);
  const SequenceStep batch[2] = {{all.subspan(0, 70), &a, LogitsRows::kAll},
                                 {all.subspan(40, 1), &b, LogitsRows::kLast}};
  for (const StepResult& r : model.step_batch(batch)) keep(r.logits);
  return out;
}

class ForwardDeterminism : public ::testing::TestWithParam<std::tuple<WeightFormat, bool>> {};

TEST_P(ForwardDeterminism, LogitsAreBitIdenticalAtAnyThreadCount) {
  const auto [format, q_lora] = GetParam();
  testing::TempDir dir;
  SynthOptions options;
  options.format = format;
  write_synthetic_checkpoint(mid_size_config(q_lora), dir.path(), options);
  const Model model(dir.path());

  const int saved = num_threads();
  set_num_threads(1);
  const std::vector<float> expected = run_everything(model);
  for (int threads : {2, 3, 4, 7}) {
    set_num_threads(threads);
    const std::vector<float> got = run_everything(model);
    ASSERT_EQ(got.size(), expected.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < got.size(); ++i) mismatches += got[i] != expected[i];
    EXPECT_EQ(mismatches, 0u) << threads << " threads";
  }
  set_num_threads(saved);
}

TEST_P(ForwardDeterminism, PrefillRowsDoNotDependOnLaterRows) {
  // 1200 tokens: 4800 routed + 1200 shared expert rows, several MoE waves; 600 tokens: one.
  const auto [format, q_lora] = GetParam();
  testing::TempDir dir;
  SynthOptions options;
  options.format = format;
  write_synthetic_checkpoint(mid_size_config(q_lora), dir.path(), options);
  const Model model(dir.path());
  std::vector<int32_t> tokens(1200);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = int32_t((i * 53 + 5) % 1000);
  const auto all = model.forward(tokens).logits;
  const auto half = model.forward(std::span<const int32_t>(tokens).subspan(0, 600)).logits;
  ASSERT_LE(half.size(), all.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < half.size(); ++i) mismatches += half[i] != all[i];
  EXPECT_EQ(mismatches, 0u);
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<WeightFormat, bool>>& info) {
  const auto [format, q_lora] = info.param;
  return std::string(format == WeightFormat::kFp8 ? "fp8" : "bf16") +
         (q_lora ? "_q_lora" : "_q_proj");
}

INSTANTIATE_TEST_SUITE_P(
    Formats, ForwardDeterminism,
    ::testing::Combine(::testing::Values(WeightFormat::kBF16, WeightFormat::kFp8), ::testing::Bool()),
    case_name);

}  // namespace
}  // namespace fathom
