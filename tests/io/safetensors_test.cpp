// The safetensors parser must reject every malformed header with one clear message naming the
// file and (where there is one) the tensor.
#include "io/safetensors.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/safetensors_writer.h"
#include "test_util.h"

namespace fathom {
namespace {

std::string with_length_prefix(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((uint64_t(header.size()) >> (8 * i)) & 0xff);
  return out + header + data;
}

// Parses `file` and returns the error message (empty if it parsed).
std::string parse_error(const std::string& file) {
  try {
    parse_safetensors_header(file, file.size(), "x.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SafetensorsHeader, ParsesAValidHeader) {
  const std::string file = with_length_prefix(
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2,3],"data_offsets":[8,20]},)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
      std::string(20, '\0'));
  const auto h = parse_safetensors_header(file, file.size(), "x");
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.tensors.at("b").dtype, DType::kBF16);
  EXPECT_EQ(h.tensors.at("b").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h.tensors.at("b").begin, 8u);
  EXPECT_EQ(h.metadata.at("format"), "pt");
}

TEST(SafetensorsHeader, RejectsMalformedFiles) {
  const std::string tensor = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  struct Case {
    const char* what;
    std::string file;
    const char* expected;  // substring of the message
  } cases[] = {
      {"empty file", "", "too short"},
      {"truncated length", std::string(5, '\0'), "too short"},
      {"header past end", with_length_prefix(tensor).substr(0, 20), "runs past the end"},
      {"huge header length", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "exceeds"},
      {"not JSON", with_length_prefix("{nope"), "not valid JSON"},
      {"not an object", with_length_prefix("[1,2]"), "not a JSON object"},
      {"unknown dtype",
       with_length_prefix(R"({"a":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}})", "x"),
       "unknown dtype \"F7\""},
      {"missing shape", with_length_prefix(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", "1234"),
       "missing \"shape\""},
      {"negative dim",
       with_length_prefix(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "1234"),
       "negative dimension"},
      {"offsets out of range", with_length_prefix(tensor, "1234"), "past the end of the data"},
      {"size mismatch",
       with_length_prefix(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678"),
       "needs 12"},
      {"begin after end",
       with_length_prefix(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", "12345678"),
       "begin > end"},
      {"overflowing shape",
       with_length_prefix(
           R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
           "12345678"),
       "overflows"},
      {"overlap",
       with_length_prefix(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                          std::string(12, '\0')),
       "overlap"},
      {"metadata not strings",
       with_length_prefix(R"({"__metadata__":{"format":1}})"), "not a string"},
      {"bad offsets",
       with_length_prefix(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", "1234"),
       "two non-negative integers"},
  };
  for (const Case& c : cases) {
    const std::string message = parse_error(c.file);
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << c.what << ": got \"" << message << "\"";
    if (!message.empty()) {
      EXPECT_NE(message.find("x.safetensors"), std::string::npos) << c.what;
    }
  }
}

TEST(SafetensorsHeader, ErrorNamesTheTensor) {
  const std::string file =
      with_length_prefix(R"({"w.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "12");
  EXPECT_NE(parse_error(file).find("tensor w.weight"), std::string::npos);
}

// fathom's Q8_0/Q4_0 (core/quant_format.h): plain I8/U8 codes named by a metadata entry come back
// with their format and logical shape; anything inconsistent is refused naming the tensor.
TEST(SafetensorsHeader, GroupQuantizedTensorsGetTheirFormatAndShape) {
  const std::string file = with_length_prefix(
      R"({"__metadata__":{"fathom.format.q":"Q4_0","fathom.format.e":"Q8_0"},)"
      R"("q":{"dtype":"U8","shape":[2,16],"data_offsets":[0,32]},)"
      R"("e":{"dtype":"I8","shape":[1,64],"data_offsets":[32,96]}})",
      std::string(96, '\0'));
  const auto h = parse_safetensors_header(file, file.size(), "x");
  EXPECT_EQ(h.tensors.at("q").dtype, DType::kQ4_0);
  EXPECT_EQ(h.tensors.at("q").shape, (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(h.tensors.at("e").dtype, DType::kQ8_0);
  EXPECT_EQ(h.tensors.at("e").shape, (std::vector<int64_t>{1, 64}));

  auto header = [](const std::string& format, const std::string& dtype, const std::string& shape) {
    return with_length_prefix(R"({"__metadata__":{"fathom.format.q":")" + format + R"("},)" +
                                  R"("q":{"dtype":")" + dtype + R"(","shape":)" + shape +
                                  R"(,"data_offsets":[0,32]}})",
                              std::string(32, '\0'));
  };
  EXPECT_NE(parse_error(header("Q3_K", "U8", "[2,16]")).find("unknown format \"Q3_K\""), std::string::npos);
  EXPECT_NE(parse_error(header("Q4_0", "I8", "[2,16]")).find("must be a 2-D U8 tensor"), std::string::npos);
  EXPECT_NE(parse_error(header("Q8_0", "I8", "[32]")).find("must be a 2-D I8 tensor"), std::string::npos);
  EXPECT_NE(parse_error(header("Q8_0", "I8", "[2,16]")).find("multiple of 32 columns"), std::string::npos);
  const std::string orphan = with_length_prefix(R"({"__metadata__":{"fathom.format.zz":"Q8_0"}})");
  EXPECT_NE(parse_error(orphan).find("names no tensor"), std::string::npos);
}

TEST(SafetensorsFile, WriterOutputReadsBack) {
  testing::TempDir dir;
  const float values[3] = {1.0f, -2.0f, 3.5f};
  const uint16_t halves[2] = {0x3F80, 0xC000};
  write_safetensors(dir.file("t.safetensors"),
                    {{"f", DType::kF32, {3}, {reinterpret_cast<const char*>(values), 12}},
                     {"h", DType::kBF16, {1, 2}, {reinterpret_cast<const char*>(halves), 4}}});
  const SafetensorsFile file(dir.file("t.safetensors"));
  ASSERT_NE(file.find("f"), nullptr);
  EXPECT_EQ(file.header().data_start % 8, 0u);
  const float* f = reinterpret_cast<const float*>(file.data(*file.find("f")));
  EXPECT_EQ(f[2], 3.5f);
  EXPECT_EQ(file.find("h")->shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(file.header().metadata.at("format"), "pt");
}

TEST(SafetensorsFile, TruncatedFileIsReportedWithItsPath) {
  testing::TempDir dir;
  const std::string golden =
      testing::read_file(testing::golden_dir("v2lite") + "/model.safetensors");
  testing::write_file(dir.file("model.safetensors"), golden.substr(0, golden.size() / 2));
  try {
    SafetensorsFile file(dir.file("model.safetensors"));
    FAIL() << "truncated file accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorruptFile);
    EXPECT_NE(std::string(e.what()).find(dir.file("model.safetensors")), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("truncated?"), std::string::npos) << e.what();
  }
}

TEST(SafetensorsFile, MissingFileIsNotFound) {
  try {
    SafetensorsFile file("/nonexistent/model.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.safetensors"), std::string::npos);
  }
}

}  // namespace
}  // namespace fathom
