#include "hub/catalog.h"

#include <cstdlib>

#include "core/error.h"

namespace hearth::hub {

const std::vector<CatalogEntry>& catalog() {
  static const std::vector<CatalogEntry> entries = {
      {"qwen2.5-0.5b-instruct", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q4_k_m.gguf",
       "Qwen2.5 0.5B Instruct, Q4_K_M (about 400 MB): small, fast, good for trying hearth"},
      {"qwen2.5-1.5b-instruct", "Qwen/Qwen2.5-1.5B-Instruct-GGUF", "qwen2.5-1.5b-instruct-q4_k_m.gguf",
       "Qwen2.5 1.5B Instruct, Q4_K_M (about 1 GB)"},
      {"qwen2.5-3b-instruct", "Qwen/Qwen2.5-3B-Instruct-GGUF", "qwen2.5-3b-instruct-q4_k_m.gguf",
       "Qwen2.5 3B Instruct, Q4_K_M (about 2 GB)"},
      {"llama-3.2-1b-instruct", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
       "Llama 3.2 1B Instruct, Q4_K_M (about 800 MB)"},
      {"llama-3.2-3b-instruct", "bartowski/Llama-3.2-3B-Instruct-GGUF", "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
       "Llama 3.2 3B Instruct, Q4_K_M (about 2 GB)"},
      {"smollm2-360m-instruct", "bartowski/SmolLM2-360M-Instruct-GGUF", "SmolLM2-360M-Instruct-Q4_K_M.gguf",
       "SmolLM2 360M Instruct, Q4_K_M (about 270 MB)"},
      {"stories260k", "ggml-org/models", "tinyllamas/stories260K.gguf",
       "A 260K-parameter llama trained on children's stories (1 MB): for testing"},
      {"bge-small-en-v1.5", "CompendiumLabs/bge-small-en-v1.5-gguf", "bge-small-en-v1.5-q8_0.gguf",
       "BGE small English v1.5, Q8_0 (about 35 MB): text embeddings; memory search uses it once pulled", true},
      {"nomic-embed-text-v1.5", "nomic-ai/nomic-embed-text-v1.5-GGUF", "nomic-embed-text-v1.5.Q8_0.gguf",
       "Nomic Embed Text v1.5, Q8_0 (about 140 MB): text embeddings, 8K context", true},
  };
  return entries;
}

const CatalogEntry& default_model() { return catalog().front(); }

std::optional<CatalogEntry> find_in_catalog(const std::string& name) {
  for (const auto& e : catalog())
    if (e.name == name) return e;
  return std::nullopt;
}

ModelRef resolve_ref(const std::string& spec, const std::string& endpoint) {
  std::string ep = endpoint.empty() ? kHuggingFace : endpoint;
  while (!ep.empty() && ep.back() == '/') ep.pop_back();
  ModelRef ref;
  if (spec.rfind("hf:", 0) == 0) {
    std::string rest = spec.substr(3);
    // OWNER/REPO/PATH...: the file may sit in a sub-folder of the repo.
    size_t a = rest.find('/');
    size_t b = a == std::string::npos ? a : rest.find('/', a + 1);
    if (a == std::string::npos || b == std::string::npos || a == 0 || b == a + 1 || b + 1 >= rest.size())
      fail(Errc::invalid_argument, "'" + spec + "' is not of the form hf:OWNER/REPO/FILE.gguf");
    if (rest.find("..") != std::string::npos || rest.find('\\') != std::string::npos)
      fail(Errc::invalid_argument, "'" + spec + "': path components may not contain '..' or '\\'");
    ref.repo = rest.substr(0, b);
    ref.file = rest.substr(b + 1);
    ref.name = rest;
  } else {
    auto entry = find_in_catalog(spec);
    if (!entry) {
      std::string names;
      for (const auto& e : catalog()) names += (names.empty() ? "" : ", ") + e.name;
      fail(Errc::not_found, "unknown model '" + spec + "': use a catalog name (" + names +
                                ") or hf:OWNER/REPO/FILE.gguf");
    }
    ref.repo = entry->repo;
    ref.file = entry->file;
    ref.name = entry->name;
  }
  if (ref.file.size() < 5 || ref.file.substr(ref.file.size() - 5) != ".gguf")
    fail(Errc::invalid_argument, "'" + spec + "': only .gguf files can be pulled");
  ref.url = ep + "/" + ref.repo + "/resolve/main/" + ref.file;
  return ref;
}

}  // namespace hearth::hub
