// The built-in catalog: short names for a few well-known GGUF files on Hugging Face, so
// `hearth pull qwen2.5-0.5b-instruct` works without knowing repository paths.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace hearth::hub {

struct CatalogEntry {
  std::string name;         // what users type
  std::string repo;         // OWNER/REPO on Hugging Face
  std::string file;         // file inside the repo
  std::string description;
  bool embedding = false;   // an embedding model: memory prefers it to a chat model
};

const std::vector<CatalogEntry>& catalog();
const CatalogEntry& default_model();  // what `hearth serve` uses with no -m
std::optional<CatalogEntry> find_in_catalog(const std::string& name);

// A resolved download: where to fetch, and the name it is stored under.
struct ModelRef {
  std::string name;  // catalog name, or OWNER/REPO/FILE for hf: references
  std::string repo;
  std::string file;
  std::string url;   // endpoint + /OWNER/REPO/resolve/main/FILE
};

inline constexpr const char* kHuggingFace = "https://huggingface.co";

// Parses "NAME" (catalog) or "hf:OWNER/REPO/FILE.gguf" into a download from `endpoint` (the CLI
// takes it from $HEARTH_HF_ENDPOINT; tests use a local server). Throws
// Error(invalid_argument|not_found).
ModelRef resolve_ref(const std::string& spec, const std::string& endpoint = kHuggingFace);

}  // namespace hearth::hub
