// fathom quantize writes directories the loader binds with no conversion: every matrix in the
// format stored_dtype() picks, its values the reference encoding of the source's, norms and the
// router copied byte for byte, tokenizer files alongside.
#include "model/quantized_checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/quant_format.h"
#include "io/checkpoint.h"
#include "kernels/quantize.h"
#include "model/config.h"
#include "model/weights.h"
#include "test_util.h"

namespace fathom {
namespace {

// Row `row` of a matrix decoded by the reference decoders (no kernel involved).
std::vector<float> reference_row(const MatrixRef& m, int64_t row) {
  std::vector<float> out(static_cast<size_t>(m.cols));
  const auto* codes = static_cast<const uint8_t*>(m.data) + row * row_bytes(m.dtype, m.cols);
  const uint16_t* scales = m.group_scales + row * (m.cols / kQuantGroup);
  if (m.dtype == DType::kQ8_0) {
    dequantize_row_q8_0(reinterpret_cast<const int8_t*>(codes), scales, m.cols, out.data());
  } else {
    dequantize_row_q4_0(codes, scales, m.cols, out.data());
  }
  return out;
}

std::vector<float> bf16_row(const MatrixRef& m, int64_t row) {
  std::vector<float> out(static_cast<size_t>(m.cols));
  const auto* p = static_cast<const uint16_t*>(m.data) + row * m.cols;
  for (int64_t c = 0; c < m.cols; ++c) out[size_t(c)] = bf16_to_f32(p[c]);
  return out;
}

TEST(Quantize, Q4AndQ8MatricesAreTheReferenceEncodingOfTheSource) {
  testing::TempDir source, out;
  source.copy_files_from(testing::golden_dir("v3"));  // bf16 weights; hidden 96 = 3 groups
  testing::write_file(source.file("tokenizer.json"), "{}");
  testing::write_file(source.file("chat_template.jinja"), "{{ x }}");
  for (WeightFormat format : {WeightFormat::kQ8, WeightFormat::kQ4}) {
    QuantizeOptions options;
    options.format = format;
    options.shard_bytes = 200 << 10;  // several shards plus an index
    const QuantizeSummary summary = write_quantized_checkpoint(source.path(), out.path(), options);
    EXPECT_EQ(summary.copied_files.size(), 2u);
    EXPECT_LT(summary.bytes_out, summary.bytes_in);

    const ModelConfig config = load_model_config(out.path());
    EXPECT_FALSE(config.quantization_config.has_value());
    const Checkpoint q(out.path()), original(source.path());
    const ModelWeights w = bind_model_weights(q, config);
    const ModelWeights o = bind_model_weights(original, load_model_config(source.path()));
    const DType projection = format == WeightFormat::kQ4 ? DType::kQ4_0 : DType::kQ8_0;
    ASSERT_TRUE(w.layers[2].moe && o.layers[2].moe);  // layers 0-1 dense, 2-3 MoE
    EXPECT_EQ(w.layers[2].moe->experts[3].up_proj.dtype, projection);
    EXPECT_EQ(w.layers[0].self_attn.o_proj.dtype, projection);
    EXPECT_EQ(w.embed_tokens.dtype, DType::kQ8_0);
    EXPECT_EQ(w.lm_head.dtype, DType::kQ8_0);
    EXPECT_EQ(w.layers[0].self_attn.q_b_proj->dtype, DType::kBF16);  // 48 columns: not groupable
    EXPECT_EQ(w.layers[2].moe->gate.dtype, o.layers[2].moe->gate.dtype);  // router as stored
    EXPECT_EQ(std::memcmp(w.layers[2].moe->gate.data, o.layers[2].moe->gate.data,
                          size_t(o.layers[2].moe->gate.rows * o.layers[2].moe->gate.cols * 2)), 0);
    EXPECT_EQ(w.layers[2].moe->e_score_correction_bias, o.layers[2].moe->e_score_correction_bias);
    EXPECT_EQ(w.norm, o.norm);

    // Re-encoding the source row with the reference encoder gives the stored row exactly.
    const MatrixRef& m = w.layers[0].self_attn.o_proj;
    const MatrixRef& src = o.layers[0].self_attn.o_proj;
    for (int64_t r = 0; r < m.rows; r += 7) {
      const std::vector<float> x = bf16_row(src, r), got = reference_row(m, r);
      std::vector<uint8_t> codes(size_t(row_bytes(m.dtype, m.cols)));
      std::vector<uint16_t> scales(size_t(m.cols / kQuantGroup));
      std::vector<float> want(x.size());
      if (m.dtype == DType::kQ8_0) {
        quantize_row_q8_0(x.data(), m.cols, reinterpret_cast<int8_t*>(codes.data()), scales.data());
        dequantize_row_q8_0(reinterpret_cast<int8_t*>(codes.data()), scales.data(), m.cols, want.data());
      } else {
        quantize_row_q4_0(x.data(), m.cols, codes.data(), scales.data());
        dequantize_row_q4_0(codes.data(), scales.data(), m.cols, want.data());
      }
      ASSERT_EQ(got, want) << "row " << r;
    }
  }
}

TEST(Quantize, RefusesToOverwriteItsSourceAndNamesAMissingOne) {
  testing::TempDir source;
  source.copy_files_from(testing::golden_dir("dense"));
  QuantizeOptions options;
  try {
    write_quantized_checkpoint(source.path(), source.path(), options);
    FAIL() << "wrote over its own source";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("--out must differ"), std::string::npos) << e.what();
  }
  try {
    write_quantized_checkpoint(source.file("nope"), source.file("out"), options);
    FAIL() << "missing source accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fathom
