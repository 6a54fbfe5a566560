#include "memory/provider_embedder.h"

#include <cmath>

#include "core/error.h"

namespace hearth::memory {

ProviderEmbedder::ProviderEmbedder(std::shared_ptr<router::Provider> provider, std::string model, std::string name)
    : provider_(std::move(provider)), model_(std::move(model)), name_(std::move(name)) {
  if (!provider_) fail(Errc::internal, "ProviderEmbedder needs a provider");
  if (name_.empty()) name_ = model_;
}

std::vector<std::vector<float>> ProviderEmbedder::embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (size_t at = 0; at < texts.size(); at += kBatch) {
    router::EmbeddingRequest req;
    req.model = model_;
    // An empty text has no tokens to pool; a single space embeds as "nothing in particular".
    for (size_t i = at; i < std::min(texts.size(), at + kBatch); ++i)
      req.input.push_back(texts[i].empty() ? std::string(" ") : texts[i]);
    router::EmbeddingResponse resp;
    try {
      resp = provider_->embed(req);
    } catch (const Error& e) {
      throw Error(e.code(), "embedding model " + name_ + ": " + e.what());
    }
    if (resp.vectors.size() != req.input.size())
      fail(Errc::format, "embedding model " + name_ + " returned " + std::to_string(resp.vectors.size()) +
                             " vectors for " + std::to_string(req.input.size()) + " texts");
    for (auto& v : resp.vectors) {
      if (v.empty() || (!out.empty() && v.size() != out[0].size()))
        fail(Errc::format, "embedding model " + name_ + " returned vectors of different sizes");
      double norm = 0;
      for (float x : v) norm += double(x) * x;
      if (!std::isfinite(norm)) fail(Errc::format, "embedding model " + name_ + " returned a non-finite vector");
      if (norm > 0)
        for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
      out.push_back(std::move(v));
    }
  }
  return out;
}

}  // namespace hearth::memory
