// A small valid GGUF exercising every metadata type, built with Writer; the corruption, truncation
// and fuzz-seed tests start from it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hearth::gguf::test {

std::vector<uint8_t> sample_gguf();
// Only metadata (no tensors); a second fuzz seed.
std::vector<uint8_t> sample_vocab_gguf();

// Byte offset of the first occurrence of `s` in `bytes` (throws when absent).
size_t find_bytes(const std::vector<uint8_t>& bytes, const std::string& s);

template <typename T>
void poke(std::vector<uint8_t>& bytes, size_t at, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) bytes.at(at + i) = static_cast<uint8_t>(uint64_t(value) >> (8 * i));
}

}  // namespace hearth::gguf::test
