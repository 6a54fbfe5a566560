// Embeddings through the router's Provider interface, so any provider the router knows (the
// local engine, OpenAI-compatible servers, Ollama, Gemini, ...) can embed memories. The store
// keeps name() beside every vector; a different name makes it re-embed.
#pragma once
#include <memory>
#include <string>

#include "memory/embedder.h"
#include "router/provider.h"

namespace hearth::memory {

class ProviderEmbedder : public Embedder {
 public:
  // `model` is what the provider is asked for (for the router: "provider:model" or an alias);
  // `name` is what the store records (default: `model`).
  ProviderEmbedder(std::shared_ptr<router::Provider> provider, std::string model, std::string name = {});
  std::string name() const override { return name_; }
  // Sends the texts in batches (queues and remote APIs cap a request's inputs) and returns
  // L2-normalised vectors; an empty or inconsistent answer throws Error(format) naming the model.
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override;

  static constexpr size_t kBatch = 32;

 private:
  std::shared_ptr<router::Provider> provider_;
  std::string model_, name_;
};

}  // namespace hearth::memory
