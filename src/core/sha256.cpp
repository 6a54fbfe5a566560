#include "core/sha256.h"

#include <sodium.h>

namespace hearth {

static_assert(sizeof(crypto_hash_sha256_state) <= 128, "Sha256::state_ is too small");

static crypto_hash_sha256_state* state(unsigned char* p) { return reinterpret_cast<crypto_hash_sha256_state*>(p); }

Sha256::Sha256() { crypto_hash_sha256_init(state(state_)); }

void Sha256::update(const void* data, size_t n) { crypto_hash_sha256_update(state(state_), static_cast<const unsigned char*>(data), n); }

Digest Sha256::finish() {
  Digest d{};
  crypto_hash_sha256_final(state(state_), d.data());
  return d;
}

std::string to_hex(const void* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

Digest sha256_of(const void* data, size_t n) {
  Sha256 h;
  h.update(data, n);
  return h.finish();
}

}  // namespace hearth
