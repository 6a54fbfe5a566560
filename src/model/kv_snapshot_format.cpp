// The byte form of a KV snapshot (its own file so the fuzz target can build it alone).
#include <cstring>

#include "core/error.h"
#include "model/kv_snapshot.h"

namespace hearth::model {
namespace {

constexpr char kMagic[8] = {'H', 'K', 'V', 'S', 'N', 'A', 'P', '1'};
constexpr size_t kHeader = 8 + 6 * 4 + 2 * 8;

void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>(v >> (8 * i));
}
void put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s += static_cast<char>(v >> (8 * i));
}
uint64_t get(std::string_view b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}
bool kv_type(uint32_t t) {
  const auto ty = static_cast<tensor::Type>(t);
  return ty == tensor::Type::F32 || ty == tensor::Type::F16 || ty == tensor::Type::Q8_0 || ty == tensor::Type::Q4_0;
}

}  // namespace

std::string KvSnapshot::serialize() const {
  std::string out(kMagic, 8);
  put32(out, static_cast<uint32_t>(n_layer));
  put32(out, static_cast<uint32_t>(k_dim));
  put32(out, static_cast<uint32_t>(v_dim));
  put32(out, static_cast<uint32_t>(types.k));
  put32(out, static_cast<uint32_t>(types.v));
  put32(out, static_cast<uint32_t>(tokens.size()));
  put64(out, k_row_bytes);
  put64(out, v_row_bytes);
  for (int32_t t : tokens) put32(out, static_cast<uint32_t>(t));
  out += k;
  out += v;
  return out;
}

KvSnapshot KvSnapshot::parse(std::string_view b, const std::string& what) {
  auto bad = [&](const std::string& m) { fail(Errc::format, what + ": " + m); };
  if (b.size() < kHeader || std::memcmp(b.data(), kMagic, 8) != 0) bad("not a hearth KV snapshot");
  KvSnapshot s;
  s.n_layer = static_cast<int64_t>(get(b, 8, 4));
  s.k_dim = static_cast<int64_t>(get(b, 12, 4));
  s.v_dim = static_cast<int64_t>(get(b, 16, 4));
  const auto kt = static_cast<uint32_t>(get(b, 20, 4)), vt = static_cast<uint32_t>(get(b, 24, 4));
  const uint64_t n = get(b, 28, 4);
  s.k_row_bytes = get(b, 32, 8);
  s.v_row_bytes = get(b, 40, 8);
  if (!kv_type(kt) || !kv_type(vt)) bad("unknown cache types " + std::to_string(kt) + "/" + std::to_string(vt));
  s.types = {static_cast<tensor::Type>(kt), static_cast<tensor::Type>(vt)};
  if (s.n_layer < 1 || s.n_layer > 4096 || s.k_dim < 1 || s.v_dim < 1 || s.k_dim > (1 << 20) || s.v_dim > (1 << 20))
    bad("implausible shape (" + std::to_string(s.n_layer) + " layers, key width " + std::to_string(s.k_dim) + ", value width " +
        std::to_string(s.v_dim) + ")");
  if (n == 0 || n > (1u << 22)) bad("implausible token count " + std::to_string(n));
  // A row is at most 4 bytes per element; each factor is bounded above, so nothing overflows.
  if (s.k_row_bytes == 0 || s.v_row_bytes == 0 || s.k_row_bytes > 4 * static_cast<uint64_t>(s.k_dim) ||
      s.v_row_bytes > 4 * static_cast<uint64_t>(s.v_dim))
    bad("row sizes do not match the widths");
  const uint64_t k_bytes = static_cast<uint64_t>(s.n_layer) * n * s.k_row_bytes;
  const uint64_t v_bytes = static_cast<uint64_t>(s.n_layer) * n * s.v_row_bytes;
  const uint64_t want = kHeader + 4 * n + k_bytes + v_bytes;
  if (b.size() != want) bad("has " + std::to_string(b.size()) + " bytes where its header says " + std::to_string(want));
  s.tokens.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    s.tokens[i] = static_cast<int32_t>(get(b, kHeader + 4 * i, 4));
    if (s.tokens[i] < 0) bad("token " + std::to_string(i) + " has a negative id");
  }
  const size_t at = kHeader + 4 * n;
  s.k.assign(b.substr(at, k_bytes));
  s.v.assign(b.substr(at + k_bytes, v_bytes));
  return s;
}

}  // namespace hearth::model
