// SHA-256 (libsodium) and lowercase hex, for every digest hearth writes or checks: pack and
// download integrity, eval sample hashes, virtual API keys.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth {

using Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  Digest finish();

 private:
  alignas(16) unsigned char state_[128];  // crypto_hash_sha256_state, kept opaque here
};

std::string to_hex(const void* data, size_t n);
inline std::string to_hex(const Digest& d) { return to_hex(d.data(), d.size()); }
Digest sha256_of(const void* data, size_t n);
inline std::string sha256_hex(std::string_view s) { return to_hex(sha256_of(s.data(), s.size())); }

}  // namespace hearth
