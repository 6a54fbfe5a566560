// Picks and opens the embedding model memory uses (docs/memory.md, "Embeddings"), the same way for
// `hearth memory`, `hearth mcp` and `hearth serve`, so they never re-embed each other's vectors.
// Order: --embed-model, HEARTH_EMBED_URL (an OpenAI-compatible endpoint), the saved setting in
// $HEARTH_HOME/memory/config.json, the default catalog model if `hearth pull` installed it, and
// last the built-in hash embedder. Models are loaded on the first embed() only, so commands that
// never embed (list, stats, export) stay instant.
#pragma once
#include <memory>
#include <string>

#include "memory/embedder.h"
#include "router/provider.h"

namespace hearth::server {

struct MemoryEmbedder {
  std::unique_ptr<memory::Embedder> embedder;
  std::string spec;    // hash, local:PATH, provider:model, or the endpoint URL
  std::string source;  // why it was chosen, in words
  bool is_model = false;  // false: the built-in hash embedder
};

// A model this process already serves: when the choice names its file, embeddings go to it
// through `via` (the server's router, as model `model`) instead of loading the file again.
struct ServedModel {
  std::string path;
  std::shared_ptr<router::Provider> via;
  std::string model;
};

MemoryEmbedder open_memory_embedder(const std::string& flag, const ServedModel* served = nullptr);

}  // namespace hearth::server
