// Structural limits of the GGUF reader and writer, shared with tests.
#pragma once
#include <cstdint>

namespace hearth::gguf {

constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
// Arrays of arrays deeper than this are rejected: no real file nests more than one level, and the
// parser recurses once per level.
constexpr int kMaxArrayDepth = 8;
// Smallest possible encodings, used to reject counts the remaining bytes cannot hold.
constexpr uint64_t kMinTensorInfoSize = 8 + 4 + 8 + 4 + 8;
constexpr uint64_t kMinKvSize = 8 + 4 + 1;

}  // namespace hearth::gguf
