#include "train/gemm_precision.h"

#include "core/error.h"

namespace fathom {

const char* gemm_precision_name(GemmPrecision precision) {
  switch (precision) {
    case GemmPrecision::kBF16: return "bf16";
    case GemmPrecision::kFP8: return "fp8";
    case GemmPrecision::kF32: break;
  }
  return "fp32";
}

GemmPrecision parse_gemm_precision(const std::string& name) {
  if (name == "fp32") return GemmPrecision::kF32;
  if (name == "bf16") return GemmPrecision::kBF16;
  if (name == "fp8") return GemmPrecision::kFP8;
  fail(ErrorKind::kInvalidArgument,
       "precision '" + name + "': expected fp32, bf16 or fp8 (DeepSeek-V3 report §3.3 E4M3 "
       "with 1x128 / 128x128 scales)");
}

}  // namespace fathom
