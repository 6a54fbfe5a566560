// `hearth pack --system/--system-file/--memory`: the pack's persona (a system message, with the
// memories of a bundle written into it) and the keys and values of that system prompt, computed
// here so that the pack's first reply does not prefill it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hearth::cli {

struct Persona {
  std::string system;    // the system message ("" = none)
  uint64_t memories = 0; // how many memories it holds
  std::string kv;        // model::KvSnapshot bytes ("" = not computed)
  uint64_t kv_tokens = 0;
  std::string cache_type_k, cache_type_v;
};

// `serve_args` are the pack's default serve flags: the cache types and chat template they select
// are the ones the snapshot is computed with (the server must find the same to use it).
Persona build_persona(const std::string& model_path, const std::string& system, const std::string& memory_bundle,
                      const std::vector<std::string>& serve_args, bool precompute);

}  // namespace hearth::cli
