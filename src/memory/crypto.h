// Passphrase encryption and signing of memory bundles (docs/memory-format.md, "Encryption" and
// "Signatures"). Encryption: Argon2id key derivation + XChaCha20-Poly1305 secretstream in
// 64 KiB chunks. Signing: Ed25519 over the bundle text with a key kept in $HEARTH_HOME.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace hearth::memory {

bool is_encrypted_bundle(std::string_view bytes);
std::string encrypt_bundle(const std::string& plain, const std::string& passphrase);
// Throws Errc::auth for a wrong passphrase or altered bytes, Errc::format for truncation.
std::string decrypt_bundle(const std::string& sealed, const std::string& passphrase);

struct SigningKey {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 64 bytes
};
// Loads $HEARTH_HOME/memory/signing.key, creating it (mode 0600) on first use.
SigningKey load_or_create_signing_key(const std::filesystem::path& dir);
std::string sign_detached(const std::string& message, const SigningKey& key);  // 64 bytes
bool verify_detached(std::string_view message, const std::string& sig, const std::string& public_key);

std::string to_hex(const std::string& bytes);
std::string from_hex(const std::string& hex);  // throws Errc::format

}  // namespace hearth::memory
