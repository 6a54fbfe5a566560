#include "model/kv_snapshot.h"

#include "core/error.h"

namespace hearth::model {

KvSnapshot KvSnapshot::take(const KvCache& c, std::span<const int32_t> tokens) {
  const auto n = static_cast<int64_t>(tokens.size());
  if (n > c.size()) fail(Errc::invalid_argument, "KV snapshot of " + std::to_string(n) + " tokens from a cache holding " + std::to_string(c.size()));
  KvSnapshot s;
  s.tokens.assign(tokens.begin(), tokens.end());
  s.types = c.types();
  s.n_layer = c.n_layer();
  s.k_dim = c.k_dim();
  s.v_dim = c.v_dim();
  s.k_row_bytes = c.k_row_bytes();
  s.v_row_bytes = c.v_row_bytes();
  c.sync_to_host(n);  // layers a GPU runs keep their rows on the device
  s.k.reserve(static_cast<size_t>(s.n_layer * n) * s.k_row_bytes);
  s.v.reserve(static_cast<size_t>(s.n_layer * n) * s.v_row_bytes);
  for (int64_t l = 0; l < s.n_layer; ++l)
    for (int64_t p = 0; p < n; ++p) {
      s.k.append(reinterpret_cast<const char*>(c.k_row(l, p)), s.k_row_bytes);
      s.v.append(reinterpret_cast<const char*>(c.v_row(l, p)), s.v_row_bytes);
    }
  return s;
}

std::string KvSnapshot::mismatch(const KvCache& c) const {
  if (c.n_layer() != n_layer || c.k_dim() != k_dim || c.v_dim() != v_dim)
    return "it was computed for another shape (" + std::to_string(n_layer) + " layers, widths " + std::to_string(k_dim) + "/" +
           std::to_string(v_dim) + ")";
  if (c.types().k != types.k || c.types().v != types.v)
    return "it holds " + std::string(tensor::type_name(types.k)) + "/" + std::string(tensor::type_name(types.v)) +
           " keys/values and the cache uses " + std::string(tensor::type_name(c.types().k)) + "/" +
           std::string(tensor::type_name(c.types().v)) + " (--cache-type-k/--cache-type-v)";
  if (c.k_row_bytes() != k_row_bytes || c.v_row_bytes() != v_row_bytes) return "its rows have another size";
  if (static_cast<int64_t>(tokens.size()) >= c.n_ctx())
    return "its " + std::to_string(tokens.size()) + " tokens do not fit a context of " + std::to_string(c.n_ctx());
  return "";
}

void KvSnapshot::restore(KvCache& c) const {
  if (auto why = mismatch(c); !why.empty()) fail(Errc::invalid_argument, "cannot restore the KV snapshot: " + why);
  const auto n = static_cast<int64_t>(tokens.size());
  c.clear();
  for (int64_t l = 0; l < n_layer; ++l)
    for (int64_t p = 0; p < n; ++p)
      c.store_rows(l, p, reinterpret_cast<const uint8_t*>(k.data()) + (l * n + p) * k_row_bytes,
                   reinterpret_cast<const uint8_t*>(v.data()) + (l * n + p) * v_row_bytes);
  c.advance(n);
}

}  // namespace hearth::model
