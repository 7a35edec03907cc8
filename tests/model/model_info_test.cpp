#include "model/model_info.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace fathom {
namespace {

ModelConfig official(const char* file) {
  return parse_model_config(testing::read_file(testing::source_path(std::string("tests/model/data/") + file)), file);
}

TEST(ModelInfo, ParameterCountMatchesTheCheckpointTensors) {
  for (const char* variant : {"v3", "v3-fp8", "v2lite", "v2", "dense"}) {
    const Checkpoint checkpoint(testing::golden_dir(variant));
    const ModelConfig config = load_model_config(testing::golden_dir(variant));
    EXPECT_EQ(count_parameters(config).total, summarize_storage(checkpoint).weight_elements) << variant;
  }
}

TEST(ModelInfo, OfficialDeepSeekV3) {
  const ModelConfig c = official("deepseek_v3_config.json");
  const ParamCounts p = count_parameters(c);
  EXPECT_EQ(p.main, 671026419200);  // "671B"
  EXPECT_NEAR(double(p.mtp), 13.5e9, 0.1e9);
  EXPECT_NEAR(double(p.active), 37.6e9, 0.1e9);  // "37B activated" (embedding and head included)
  EXPECT_EQ(kv_bytes_per_token(c), (512 + 64) * 61 * 4);
}

TEST(ModelInfo, OfficialDeepSeekV2Lite) {
  const ModelConfig c = official("deepseek_v2_lite_config.json");
  EXPECT_NEAR(double(count_parameters(c).total), 15.7e9, 0.05e9);
  EXPECT_EQ(kv_bytes_per_token(c), (512 + 64) * 27 * 4);
}

TEST(ModelInfo, StorageBytesByDtype) {
  const StorageSummary s = summarize_storage(Checkpoint(testing::golden_dir("v3-fp8")));
  EXPECT_GT(s.bytes_by_dtype.at("F8_E4M3"), 0);
  EXPECT_GT(s.bytes_by_dtype.at("BF16"), 0);
  EXPECT_GT(s.bytes_by_dtype.at("F32"), 0);
}

TEST(ModelInfo, ActiveWeightBytesAndPrefillFlops) {
  // Dense, no MTP, bf16 weights: a token reads every tensor except all but one embedding row.
  const std::string dir = testing::golden_dir("dense");
  const Checkpoint checkpoint(dir);
  const ModelConfig c = load_model_config(dir);
  const double embedding = double(c.vocab_size * c.hidden_size * 2);
  double total = 0;
  for (const auto& [dtype, bytes] : summarize_storage(checkpoint).bytes_by_dtype) total += double(bytes);
  EXPECT_DOUBLE_EQ(active_weight_bytes(checkpoint, c), total - embedding + embedding / double(c.vocab_size));
  // One token, no cache: 2 x (matrices except the embedding, attention over itself, the head).
  const ParamCounts p = count_parameters(c);
  const double attention = double(c.num_attention_heads * (c.qk_head_dim() + c.v_head_dim) * c.num_hidden_layers);
  EXPECT_DOUBLE_EQ(prefill_flops(c, 1), 2.0 * (double(p.active - c.vocab_size * c.hidden_size) + attention));
  // Each cached position adds one more QK and PV product per head and layer per new token.
  EXPECT_DOUBLE_EQ(prefill_flops(c, 2, 3) - prefill_flops(c, 2, 0), 2.0 * attention * 2 * 3);

  // MoE: routed experts count top-k of n_routed on average, the MTP layer not at all.
  const std::string moe_dir = testing::golden_dir("v3");
  const Checkpoint moe(moe_dir);
  EXPECT_LT(active_weight_bytes(moe, load_model_config(moe_dir)), double(summarize_storage(moe).file_bytes) * 0.6);
}

}  // namespace
}  // namespace fathom
