// Precision of the GEMM inputs inside the transformer blocks during training (`fathom train
// --precision`), after the FP8 mixed-precision framework of the DeepSeek-V3 report §3.3:
//   kF32   every GEMM input as is (the reference; bit-identical to training before this option)
//   kBF16  inputs rounded to bf16 (nearest even), fp32 accumulation: the baseline the report
//          compares its FP8 curves against
//   kFP8   inputs quantized to E4M3 with fine-grained scales (activations and activation
//          gradients per 1x128 tile along the reduction dimension, weights per 128x128 block;
//          fp8_quant.h), products accumulated in fp32
// Master weights, gradients and optimizer state stay fp32 in every mode. lm_head and MTP's
// eh_proj keep the report's "original precision" (its framework's bf16; fp32 in fp32 mode);
// embedding, the MoE router, norms and the attention core (scores, softmax, P·V) stay fp32.
// Where the CPU has bf16 dot-product units (AVX-512 BF16) the bf16 and E4M3 products run on
// them (bf16_unit_gemm.h); elsewhere on the fp32 units, on the rounded values.
#pragma once

#include <string>

namespace fathom {

enum class GemmPrecision { kF32, kBF16, kFP8 };

const char* gemm_precision_name(GemmPrecision precision);  // "fp32" | "bf16" | "fp8"
// Throws Error(kInvalidArgument) naming the accepted values.
GemmPrecision parse_gemm_precision(const std::string& name);

}  // namespace fathom
