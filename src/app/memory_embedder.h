// Picks and opens the embedding model memory uses (docs/memory.md, "Embeddings"), the same way for
// `hearth memory`, `hearth mcp` and `hearth serve`, so they never re-embed each other's vectors.
// Order: --embed-model, an OpenAI-compatible endpoint (HEARTH_EMBED_URL), the saved setting in
// $HEARTH_HOME/memory/config.json, a catalog embedding model (bge-small-en-v1.5, then
// nomic-embed-text-v1.5) if `hearth pull` installed one, the default catalog model if it is
// installed, and last the built-in hash embedder. Models are loaded on the first embed() only, so commands that
// never embed (list, stats, export) stay instant.
#pragma once
#include <memory>
#include <string>

#include "memory/embedder.h"
#include "model/model.h"
#include "router/provider.h"

namespace hearth::app {

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

// What the front end asks for. The CLI fills the endpoint from HEARTH_EMBED_URL, _MODEL and _KEY.
struct EmbedderChoice {
  std::string flag;            // --embed-model (empty: not given)
  std::string endpoint_url;    // an OpenAI-compatible embeddings endpoint (empty: none)
  std::string endpoint_model;  // required with endpoint_url
  std::string endpoint_key;
  model::LoadOptions load;     // how a local model is loaded
  const ServedModel* served = nullptr;
};

MemoryEmbedder open_memory_embedder(const EmbedderChoice& choice);

}  // namespace hearth::app
