// Structural limits of the GGUF reader and writer, shared with tests.
#pragma once
#include <cstdint>

namespace hearth::gguf {

constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
// Arrays of arrays deeper than this are rejected: no real file nests more than one level, and the
// parser recurses once per level.
constexpr int kMaxArrayDepth = 8;
// Total metadata values (array items included) one file may hold. Real vocabularies have a few
// hundred thousand tokens in three arrays; the cap bounds the memory a hostile file can demand,
// since a decoded value is much larger than its 1-byte minimum encoding.
constexpr uint64_t kMaxMetadataValues = uint64_t{1} << 23;
// Smallest possible encodings, used to reject counts the remaining bytes cannot hold.
constexpr uint64_t kMinTensorInfoSize = 8 + 4 + 8 + 4 + 8;
constexpr uint64_t kMinKvSize = 8 + 4 + 1;

}  // namespace hearth::gguf
