// Text -> vector. The store keeps the embedder's name() beside every vector and re-embeds when
// the configured embedder changes, so vectors from different models are never compared.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace hearth::memory {

class Embedder {
 public:
  virtual ~Embedder() = default;
  virtual std::string name() const = 0;
  // One L2-normalised vector per text, all of the same dimension.
  virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) = 0;
};

// Built-in, model-free embedder "hearth-hash-384": hashed word unigrams, word bigrams and
// character trigrams with signed feature hashing. It is a lexical baseline (it matches shared
// words and spelling variants, not meaning), used when no embedding model is configured so that
// vector and hybrid search work offline.
class HashEmbedder : public Embedder {
 public:
  static constexpr size_t kDim = 384;
  std::string name() const override { return "hearth-hash-384"; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override;
  std::vector<float> embed_one(const std::string& text) const;
};

// Any OpenAI-compatible POST {base_url}/v1/embeddings endpoint (hearth's router and server speak
// it, as do most providers). name() is "<model>@<base_url>" unless `name` is given.
class HttpEmbedder : public Embedder {
 public:
  HttpEmbedder(std::string base_url, std::string model, std::string api_key = {}, std::string name = {});
  std::string name() const override { return name_; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override;

 private:
  std::string base_url_, model_, api_key_, name_;
};

// Lowercased alphanumeric words (UTF-8 bytes >= 0x80 count as letters); shared by the hash
// embedder, the FTS query builder and "why matched" explanations.
std::vector<std::string> words(const std::string& text);

}  // namespace hearth::memory
