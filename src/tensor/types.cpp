#include "tensor/types.h"

#include <array>
#include <cctype>
#include <string>

#include "core/error.h"

namespace hearth::tensor {
namespace {

// Sizes follow ggml's block structs (fp16 scales are 2 bytes).
constexpr std::array<TypeTraits, 32> kTraits = {{
    {Type::F32, "f32", 1, 4, false, true},
    {Type::F16, "f16", 1, 2, false, true},
    {Type::Q4_0, "q4_0", 32, 2 + 16, true, true},
    {Type::Q4_1, "q4_1", 32, 2 + 2 + 16, true, true},
    {Type::Q5_0, "q5_0", 32, 2 + 4 + 16, true, true},
    {Type::Q5_1, "q5_1", 32, 2 + 2 + 4 + 16, true, true},
    {Type::Q8_0, "q8_0", 32, 2 + 32, true, true},
    {Type::Q8_1, "q8_1", 32, 4 + 32, true, false},
    {Type::Q2_K, "q2_K", 256, 16 + 64 + 2 + 2, true, true},
    {Type::Q3_K, "q3_K", 256, 32 + 64 + 12 + 2, true, true},
    {Type::Q4_K, "q4_K", 256, 2 + 2 + 12 + 128, true, true},
    {Type::Q5_K, "q5_K", 256, 2 + 2 + 12 + 32 + 128, true, true},
    {Type::Q6_K, "q6_K", 256, 128 + 64 + 16 + 2, true, true},
    {Type::Q8_K, "q8_K", 256, 4 + 256 + 32, true, false},
    {Type::I8, "i8", 1, 1, false, false},
    {Type::I16, "i16", 1, 2, false, false},
    {Type::I32, "i32", 1, 4, false, false},
    {Type::I64, "i64", 1, 8, false, false},
    {Type::F64, "f64", 1, 8, false, false},
    {Type::BF16, "bf16", 1, 2, false, true},
    // The i-quants and ternary types: GGUF files holding them parse; the ones hearth cannot
    // compute with are refused by the model loader, naming the type and tensor.
    {Type::IQ2_XXS, "iq2_xxs", 256, 2 + 64, true, false},
    {Type::IQ2_XS, "iq2_xs", 256, 2 + 64 + 8, true, false},
    {Type::IQ3_XXS, "iq3_xxs", 256, 2 + 96, true, false},
    {Type::IQ1_S, "iq1_s", 256, 2 + 32 + 16, true, false},
    {Type::IQ4_NL, "iq4_nl", 32, 2 + 16, true, true},
    {Type::IQ3_S, "iq3_s", 256, 2 + 64 + 8 + 32 + 4, true, true},
    {Type::IQ2_S, "iq2_s", 256, 2 + 64 + 8 + 8, true, false},
    {Type::IQ4_XS, "iq4_xs", 256, 2 + 2 + 4 + 128, true, true},
    {Type::IQ1_M, "iq1_m", 256, 32 + 16 + 8, true, false},
    {Type::TQ1_0, "tq1_0", 256, 48 + 4 + 2, true, false},
    {Type::TQ2_0, "tq2_0", 256, 64 + 2, true, false},
    {Type::MXFP4, "mxfp4", 32, 1 + 16, true, true},
}};

}  // namespace

const TypeTraits* traits(uint32_t id) {
  for (const auto& t : kTraits)
    if (static_cast<uint32_t>(t.type) == id) return &t;
  return nullptr;
}

const TypeTraits& traits(Type t) {
  const TypeTraits* tr = traits(static_cast<uint32_t>(t));
  if (!tr) fail(Errc::internal, "unknown tensor type id " + std::to_string(static_cast<uint32_t>(t)));
  return *tr;
}

std::optional<Type> type_from_name(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& t : kTraits) {
    std::string n;
    for (char c : t.name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (n == lower) return t.type;
  }
  return std::nullopt;
}

}  // namespace hearth::tensor
