// Tensor element types with ggml's numbering and block layouts, so GGUF files from llama.cpp
// load as they are. A quantized type stores `block_size` elements in `type_size` bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hearth::tensor {

enum class Type : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct TypeTraits {
  Type type;
  std::string_view name;  // ggml's spelling: "f32", "q4_K", ...
  uint32_t block_size;    // elements per block
  uint32_t type_size;     // bytes per block
  bool quantized;
  bool supported;         // hearth can compute with it (dequantize + matmul)
};

// nullptr for ids hearth does not know (GGUF readers turn that into an "unknown type" error).
const TypeTraits* traits(uint32_t id);
const TypeTraits& traits(Type t);
inline std::string_view type_name(Type t) { return traits(t).name; }
// Parses "q4_0", "Q4_0", "f16", ...; nullopt when unknown.
std::optional<Type> type_from_name(std::string_view name);

// Bytes needed for one row of `n` elements; n must be a multiple of the block size.
inline size_t row_size(Type t, int64_t n) {
  const auto& tr = traits(t);
  return static_cast<size_t>(n / tr.block_size) * tr.type_size;
}

constexpr int QK4_0 = 32, QK4_1 = 32, QK5_0 = 32, QK5_1 = 32, QK8_0 = 32, QK8_1 = 32;
constexpr int QK_K = 256, K_SCALE_SIZE = 12;

}  // namespace hearth::tensor
