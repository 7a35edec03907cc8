// fathom's grouped-integer weight formats (the idea of llama.cpp's Q8_0/Q4_0, with our own
// layout): every run of kQuantGroup consecutive values in a row shares one float16 scale, and the
// codes and the scales live in two separate arrays, so a row's codes are contiguous for SIMD loads
// and the safetensors file holds two ordinary tensors (codes I8/U8, scales F16) that map with no
// conversion step.
//
//   Q8_0  codes int8 [rows, cols], value = code * scale, code in [-127, 127]      8.5 bits/weight
//   Q4_0  codes uint8 [rows, cols / 2]; group g of a row is bytes [16g, 16g + 16): byte j holds
//         element 32g + j in its low nibble and 32g + j + 16 in its high nibble;
//         value = (nibble - 8) * scale                                            4.5 bits/weight
//   scales  float16 [rows, cols / kQuantGroup] (row-major, one per group)
//
// cols must be a multiple of kQuantGroup.
//
// On disk (safetensors) the codes are an ordinary I8 [rows, cols] (Q8_0) or U8 [rows, cols / 2]
// (Q4_0) tensor NAME whose shard header metadata has "fathom.format.NAME": "Q8_0" / "Q4_0", and the
// scales are the F16 tensor NAME + kGroupScaleSuffix. The reader turns such a tensor back into
// dtype kQ8_0/kQ4_0 with its logical shape [rows, cols].
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace fathom {

constexpr int64_t kQuantGroup = 32;
inline constexpr const char* kGroupScaleSuffix = "_qscale";
inline constexpr const char* kFormatMetadataPrefix = "fathom.format.";

inline bool is_group_quantized(DType dtype) {
  return dtype == DType::kQ8_0 || dtype == DType::kQ4_0;
}

// The plain dtype the codes are stored as in a file.
inline DType storage_dtype(DType dtype) {
  return dtype == DType::kQ8_0 ? DType::kI8 : dtype == DType::kQ4_0 ? DType::kU8 : dtype;
}

// Bytes of one stored row of `cols` values (codes only for the grouped formats).
inline int64_t row_bytes(DType dtype, int64_t cols) {
  switch (dtype) {
    case DType::kQ8_0: return cols;
    case DType::kQ4_0: return cols / 2;
    default: return cols * int64_t(dtype_size(dtype));
  }
}

}  // namespace fathom
