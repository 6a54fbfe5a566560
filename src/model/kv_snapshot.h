// A saved prefix of a KV cache: the tokens and the keys and values the model computed for them,
// in the cache's own storage types. `hearth pack --system` computes the system prompt's once,
// at pack time, and the server puts it back into its slots at start, so the first reply does
// not prefill it. Binary layout in docs/pack-format.md.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/kv_cache.h"

namespace hearth::model {

struct KvSnapshot {
  std::vector<int32_t> tokens;
  KvTypes types;
  int64_t n_layer = 0, k_dim = 0, v_dim = 0;
  size_t k_row_bytes = 0, v_row_bytes = 0;
  std::string k, v;  // rows, layer-major: [layer][position]

  // The first tokens.size() positions of `cache` (which must hold at least that many).
  static KvSnapshot take(const KvCache& cache, std::span<const int32_t> tokens);
  std::string serialize() const;
  // Error(format) naming `what` and the fault for anything inconsistent; never reads out of bounds.
  static KvSnapshot parse(std::string_view bytes, const std::string& what);
  // Why it cannot go into `cache` (other shape or types, too long), or "" when it can.
  std::string mismatch(const KvCache& cache) const;
  // Fills positions [0, tokens.size()) of `cache` (checked with mismatch() first).
  void restore(KvCache& cache) const;
};

}  // namespace hearth::model
