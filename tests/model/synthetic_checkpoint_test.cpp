// fathom synth writes checkpoints the loader accepts (every official name and shape, checked by
// binding them), and its bf16 / fp8 tensors are the f32 values correctly rounded / quantized.
#include "model/synthetic_checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/mapped_file.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "model/tensor_list.h"
#include "test_util.h"

namespace fathom {
namespace {

nlohmann::json golden_config(const std::string& variant) {
  return nlohmann::json::parse(read_text_file(testing::golden_dir(variant) + "/config.json"));
}

TEST(TensorList, NamesAndShapesMatchTheOracleCheckpoints) {
  for (const char* variant : {"v3", "v3-fp8", "v2lite", "v2", "dense"}) {
    const Checkpoint checkpoint(testing::golden_dir(variant));
    const auto specs = checkpoint_tensors(load_model_config(testing::golden_dir(variant)));
    size_t weights = 0;
    for (const auto& name : checkpoint.tensor_names()) weights += !name.ends_with("_scale_inv");
    EXPECT_EQ(specs.size(), weights) << variant;
    for (const auto& s : specs) {
      ASSERT_TRUE(checkpoint.contains(s.name)) << variant << " " << s.name;
      EXPECT_EQ(checkpoint.get(s.name).info->shape, s.shape) << s.name;
    }
  }
}

TEST(SyntheticCheckpoint, EveryFormatLoadsAndRuns) {
  for (const char* variant : {"v3", "v2lite", "dense"}) {
    for (WeightFormat format : {WeightFormat::kF32, WeightFormat::kBF16, WeightFormat::kFp8}) {
      testing::TempDir dir;
      SynthOptions options;
      options.format = format;
      options.shard_bytes = 300 << 10;  // several shards plus an index
      write_synthetic_checkpoint(golden_config(variant), dir.path(), options);
      const Model model(dir.path());
      const std::vector<int32_t> tokens = {0, 5, 17, 3};
      const auto logits = model.forward(tokens).logits;
      for (float v : logits) ASSERT_TRUE(std::isfinite(v)) << variant;
      EXPECT_EQ(model.weights().layers[0].self_attn.o_proj.dtype,
                format == WeightFormat::kF32 ? DType::kF32 : format == WeightFormat::kBF16 ? DType::kBF16 : DType::kF8E4M3);
    }
  }
}

TEST(SyntheticCheckpoint, Bf16AndFp8AreRoundingsOfTheSameValues) {
  testing::TempDir f32_dir, bf16_dir, fp8_dir;
  const auto config = golden_config("v3-fp8");  // partial 128x128 blocks on both axes
  SynthOptions options;
  options.seed = 7;
  write_synthetic_checkpoint(config, f32_dir.path(), {WeightFormat::kF32, 7});
  write_synthetic_checkpoint(config, bf16_dir.path(), {WeightFormat::kBF16, 7});
  write_synthetic_checkpoint(config, fp8_dir.path(), {WeightFormat::kFp8, 7});
  const Model exact(f32_dir.path()), bf16(bf16_dir.path()), fp8(fp8_dir.path());
  const MatrixRef& e = exact.weights().layers[0].self_attn.kv_b_proj;  // [320, 144]
  const MatrixRef& b = bf16.weights().layers[0].self_attn.kv_b_proj;
  const MatrixRef& q = fp8.weights().layers[0].self_attn.kv_b_proj;
  std::vector<float> re(size_t(e.cols)), rb(size_t(e.cols)), rq(size_t(e.cols));
  double worst_bf16 = 0, worst_fp8 = 0;
  for (int64_t r = 0; r < e.rows; ++r) {
    kernels().dequantize_row(e, r, re.data());
    kernels().dequantize_row(b, r, rb.data());
    kernels().dequantize_row(q, r, rq.data());
    for (int64_t c = 0; c < e.cols; ++c) {
      worst_bf16 = std::max(worst_bf16, std::fabs(double(rb[size_t(c)]) - re[size_t(c)]) / std::fabs(re[size_t(c)]));
      // e4m3 has 3 mantissa bits: relative error <= 2^-4 for normal codes, and block-scaled
      // values below 2^-6 of the block maximum may be subnormal; bound by the block's amax.
      worst_fp8 = std::max(worst_fp8, std::fabs(double(rq[size_t(c)]) - re[size_t(c)]));
    }
  }
  EXPECT_LE(worst_bf16, 1.0 / 256 + 1e-9);
  // Weights ~ N(0, 1/144): block amax <~ 0.4, so a step of 2^-4 * amax / 448 * 448 ... <= 0.0125.
  EXPECT_LT(worst_fp8, 0.0125);
  EXPECT_GT(worst_fp8, 0.0);  // really quantized
}

}  // namespace
}  // namespace fathom
