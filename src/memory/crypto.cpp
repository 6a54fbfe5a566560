#include "memory/crypto.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/sha256.h"

namespace hearth::memory {

namespace {

constexpr char kMagic[8] = {'H', 'M', 'E', 'M', 'E', 'N', 'C', '1'};
constexpr size_t kChunk = 64 * 1024;
// magic, opslimit (u32), memlimit in KiB (u32), salt, secretstream header.
constexpr size_t kHeaderSize = 8 + 4 + 4 + crypto_pwhash_SALTBYTES + crypto_secretstream_xchacha20poly1305_HEADERBYTES;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t get_u32(const std::string& s, size_t off) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<unsigned char>(s[off + i])) << (8 * i);
  return v;
}

void init() {
  if (sodium_init() < 0) fail(Errc::internal, "libsodium failed to initialise");
}

void derive(unsigned char* key, const std::string& pass, const unsigned char* salt, uint32_t ops, uint32_t mem_kib) {
  if (crypto_pwhash(key, crypto_secretstream_xchacha20poly1305_KEYBYTES, pass.data(), pass.size(), salt, ops,
                    size_t(mem_kib) * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
    fail(Errc::internal, "Argon2id key derivation ran out of memory");
}

}  // namespace

bool is_encrypted_bundle(std::string_view b) { return b.size() >= 8 && std::memcmp(b.data(), kMagic, 8) == 0; }

std::string encrypt_bundle(const std::string& plain, const std::string& pass) {
  init();
  if (pass.empty()) fail(Errc::invalid_argument, "the passphrase is empty");
  // Interactive limits keep export/import quick (≈64 MiB, a fraction of a second); the header
  // records them so stronger settings can be used later without a format change.
  uint32_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  uint32_t mem_kib = crypto_pwhash_MEMLIMIT_INTERACTIVE / 1024;
  unsigned char salt[crypto_pwhash_SALTBYTES];
  randombytes_buf(salt, sizeof salt);
  unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
  derive(key, pass, salt, ops, mem_kib);
  crypto_secretstream_xchacha20poly1305_state st;
  unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&st, header, key);
  sodium_memzero(key, sizeof key);
  std::string out(kMagic, 8);
  put_u32(out, ops);
  put_u32(out, mem_kib);
  out.append(reinterpret_cast<char*>(salt), sizeof salt);
  out.append(reinterpret_cast<char*>(header), sizeof header);
  std::string aad = out;  // the first chunk authenticates the parameters too
  size_t off = 0;
  std::string buf;
  do {
    size_t n = std::min(kChunk, plain.size() - off);
    bool last = off + n == plain.size();
    buf.resize(n + crypto_secretstream_xchacha20poly1305_ABYTES);
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(
        &st, reinterpret_cast<unsigned char*>(buf.data()), &clen, reinterpret_cast<const unsigned char*>(plain.data() + off),
        n, off == 0 ? reinterpret_cast<const unsigned char*>(aad.data()) : nullptr, off == 0 ? aad.size() : 0,
        last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
    put_u32(out, static_cast<uint32_t>(clen));
    out.append(buf.data(), clen);
    off += n;
  } while (off < plain.size());
  return out;
}

std::string decrypt_bundle(const std::string& in, const std::string& pass) {
  init();
  if (!is_encrypted_bundle(in)) fail(Errc::format, "not an encrypted hearth bundle");
  if (in.size() < kHeaderSize) fail(Errc::format, "encrypted bundle is truncated (header incomplete)");
  uint32_t ops = get_u32(in, 8), mem_kib = get_u32(in, 12);
  // Refuse parameters that would make a crafted file burn minutes or gigabytes: at most 4x the
  // memory and passes hearth writes (64 MiB, 2 passes).
  if (ops < 1 || ops > 8 || mem_kib < 8 || mem_kib > 256u * 1024)
    fail(Errc::format, "encrypted bundle has implausible key-derivation parameters");
  const auto* salt = reinterpret_cast<const unsigned char*>(in.data() + 16);
  const auto* header = reinterpret_cast<const unsigned char*>(in.data() + 16 + crypto_pwhash_SALTBYTES);
  unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
  derive(key, pass, salt, ops, mem_kib);
  crypto_secretstream_xchacha20poly1305_state st;
  int rc = crypto_secretstream_xchacha20poly1305_init_pull(&st, header, key);
  sodium_memzero(key, sizeof key);
  if (rc != 0) fail(Errc::format, "encrypted bundle has a bad stream header");
  std::string aad = in.substr(0, kHeaderSize);
  std::string out;
  size_t off = kHeaderSize;
  bool first = true, final_seen = false;
  std::string buf;
  while (off < in.size()) {
    if (final_seen) fail(Errc::auth, "encrypted bundle has data after its final chunk (tampered)");
    if (in.size() - off < 4) fail(Errc::format, "encrypted bundle is truncated");
    uint32_t clen = get_u32(in, off);
    off += 4;
    if (clen < crypto_secretstream_xchacha20poly1305_ABYTES || clen > kChunk + crypto_secretstream_xchacha20poly1305_ABYTES ||
        clen > in.size() - off)
      fail(first ? Errc::auth : Errc::format, "encrypted bundle is truncated or corrupted");
    buf.resize(clen);
    unsigned long long mlen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &st, reinterpret_cast<unsigned char*>(buf.data()), &mlen, &tag,
            reinterpret_cast<const unsigned char*>(in.data() + off), clen,
            first ? reinterpret_cast<const unsigned char*>(aad.data()) : nullptr, first ? aad.size() : 0) != 0)
      fail(Errc::auth, first ? "cannot decrypt the bundle: wrong passphrase or the file was altered"
                             : "cannot decrypt the bundle: the file was altered");
    out.append(buf.data(), mlen);
    off += clen;
    first = false;
    final_seen = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  }
  if (!final_seen) fail(Errc::format, "encrypted bundle is truncated (no final chunk)");
  return out;
}

std::string to_hex(const std::string& b) { return hearth::to_hex(b.data(), b.size()); }

std::string from_hex(const std::string& h) {
  std::string out(h.size() / 2, '\0');
  size_t len = 0;
  if (h.size() % 2 || sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), h.data(), h.size(),
                                     nullptr, &len, nullptr) != 0 || len != out.size())
    fail(Errc::format, "bad hex string");
  return out;
}

SigningKey load_or_create_signing_key(const std::filesystem::path& dir) {
  init();
  auto path = dir / "signing.key";
  SigningKey k;
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::string hex((std::istreambuf_iterator<char>(in)), {});
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
    std::string sk = from_hex(hex);
    if (sk.size() != crypto_sign_SECRETKEYBYTES) fail(Errc::format, path.string() + " is not an Ed25519 secret key");
    k.secret_key = sk;
    k.public_key = sk.substr(32);  // libsodium's secret key is seed || public key
    return k;
  }
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  k.public_key.assign(reinterpret_cast<char*>(pk), sizeof pk);
  k.secret_key.assign(reinterpret_cast<char*>(sk), sizeof sk);
  sodium_memzero(sk, sizeof sk);
  std::string tmp = (dir / "signing.key.tmp").string();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << to_hex(k.secret_key) << "\n";
    if (!out) fail(Errc::io, "cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail(Errc::io, "cannot create " + path.string() + ": " + ec.message());
  return k;
}

std::string sign_detached(const std::string& msg, const SigningKey& key) {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                       reinterpret_cast<const unsigned char*>(key.secret_key.data()));
  return std::string(reinterpret_cast<char*>(sig), sizeof sig);
}

bool verify_detached(std::string_view msg, const std::string& sig, const std::string& pk) {
  init();
  if (sig.size() != crypto_sign_BYTES || pk.size() != crypto_sign_PUBLICKEYBYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                     reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                     reinterpret_cast<const unsigned char*>(pk.data())) == 0;
}

}  // namespace hearth::memory
