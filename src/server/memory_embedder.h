// Picks and opens the embedding model memory commands use (docs/memory.md, "Embeddings").
// Order: --embed-model, HEARTH_EMBED_URL (an OpenAI-compatible endpoint), the saved setting in
// $HEARTH_HOME/memory/config.json, the default catalog model if `hearth pull` installed it, and
// last the built-in hash embedder. Models are loaded on the first embed() only, so commands that
// never embed (list, stats, export) stay instant.
#pragma once
#include <memory>
#include <string>

#include "memory/embedder.h"

namespace hearth::cli {

struct MemoryEmbedder {
  std::unique_ptr<memory::Embedder> embedder;
  std::string spec;    // hash, local:PATH, provider:model, or the endpoint URL
  std::string source;  // why it was chosen, in words
  bool is_model = false;  // false: the built-in hash embedder
};

MemoryEmbedder open_memory_embedder(const std::string& flag);

}  // namespace hearth::cli
