#include "memory/embedder.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "core/error.h"
#include "memory/http_json.h"

namespace hearth::memory {

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      cur += static_cast<char>(std::tolower(c));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

namespace {

uint64_t fnv1a(const std::string& s, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // Final avalanche so that low bits (used for the bucket) depend on every byte.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

void add_feature(std::vector<float>& v, const std::string& f, float w) {
  uint64_t h = fnv1a(f, 0);
  v[h % HashEmbedder::kDim] += (h >> 63) ? -w : w;
}

// Trailing "s"/"es"/"ing"/"ed" are cut so that plural and tense variants share a feature.
std::string crude_stem(const std::string& w) {
  auto ends = [&](const char* s) {
    size_t n = std::char_traits<char>::length(s);
    return w.size() > n + 2 && w.compare(w.size() - n, n, s) == 0;
  };
  if (ends("ing")) return w.substr(0, w.size() - 3);
  if (ends("ed")) return w.substr(0, w.size() - 2);
  if (ends("es")) return w.substr(0, w.size() - 2);
  if (ends("s")) return w.substr(0, w.size() - 1);
  return w;
}

}  // namespace

std::vector<float> HashEmbedder::embed_one(const std::string& text) const {
  std::vector<float> v(kDim, 0.0f);
  auto ws = words(text);
  for (size_t i = 0; i < ws.size(); ++i) {
    std::string s = crude_stem(ws[i]);
    add_feature(v, "w:" + s, 1.0f);
    if (i + 1 < ws.size()) add_feature(v, "b:" + s + " " + crude_stem(ws[i + 1]), 0.5f);
    std::string padded = "^" + ws[i] + "$";
    for (size_t k = 0; k + 3 <= padded.size(); ++k) add_feature(v, "c:" + padded.substr(k, 3), 0.25f);
  }
  // Sublinear term frequency: repeated words should not dominate.
  double norm = 0;
  for (float& x : v) {
    x = x >= 0 ? std::sqrt(x) : -std::sqrt(-x);
    norm += double(x) * x;
  }
  if (norm > 0) {
    float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : v) x *= inv;
  }
  return v;
}

std::vector<std::vector<float>> HashEmbedder::embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(embed_one(t));
  return out;
}

HttpEmbedder::HttpEmbedder(std::string base_url, std::string model, std::string api_key, std::string name)
    : base_url_(std::move(base_url)), model_(std::move(model)), api_key_(std::move(api_key)), name_(std::move(name)) {
  if (name_.empty()) name_ = model_ + "@" + base_url_;
}

std::vector<std::vector<float>> HttpEmbedder::embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out;
  if (texts.empty()) return out;
  json req = {{"model", model_}, {"input", texts}};
  json resp = post_json(base_url_, "/v1/embeddings", req, api_key_);
  if (!resp.contains("data") || !resp["data"].is_array() || resp["data"].size() != texts.size())
    fail(Errc::format, "embeddings response from " + base_url_ + " has no data array of " +
                           std::to_string(texts.size()) + " items");
  out.resize(texts.size());
  for (const auto& item : resp["data"]) {
    size_t idx = item.value("index", size_t(0));
    if (idx >= texts.size() || !item.contains("embedding") || !item["embedding"].is_array())
      fail(Errc::format, "embeddings response from " + base_url_ + " has a malformed item");
    auto v = item["embedding"].get<std::vector<float>>();
    double norm = 0;
    for (float x : v) norm += double(x) * x;
    if (norm > 0)
      for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
    out[idx] = std::move(v);
  }
  for (const auto& v : out)
    if (v.empty() || v.size() != out[0].size())
      fail(Errc::format, "embeddings response from " + base_url_ + " has vectors of different sizes");
  return out;
}

}  // namespace hearth::memory
