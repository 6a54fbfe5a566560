// Streaming SHA-256 (libsodium) and hashing of file ranges.
#pragma once
#include <sodium.h>

#include <array>
#include <cstdint>
#include <string>

namespace hearth::pack {

using Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  Digest finish();

 private:
  crypto_hash_sha256_state st_;
};

std::string to_hex(const Digest& d);
Digest sha256_of(const void* data, size_t n);
// Hashes bytes [offset, offset+length) of the open file `fd`; `name` is used in errors.
Digest sha256_file_range(int fd, uint64_t offset, uint64_t length, const std::string& name);

}  // namespace hearth::pack
