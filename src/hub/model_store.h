// The user's model folder ($HEARTH_HOME/models): pulled GGUF files plus index.json, which records
// where each came from and its SHA-256. `-m` on any command accepts a path or a stored name.
#pragma once
#include <string>
#include <vector>

#include "hub/catalog.h"
#include "hub/download.h"

namespace hearth::hub {

struct StoredModel {
  std::string name;    // catalog name or OWNER/REPO/FILE
  std::string path;    // absolute path of the .gguf
  std::string url;
  std::string sha256;
  uint64_t bytes = 0;
  std::string pulled_at;  // ISO 8601 UTC
};

std::string models_dir();
std::vector<StoredModel> list_models();

// Downloads (or resumes) `spec` (see resolve_ref), checks its integrity and that it is a GGUF,
// and records it. Pulling a model that is already complete re-verifies it and returns it.
StoredModel pull(const std::string& spec, const ProgressFn& progress = {}, const std::string& endpoint = kHuggingFace);

// Deletes a stored model's index entry, and its file unless another name (a copy) uses it;
// Error(not_found) when absent.
void remove_model(const std::string& name);

// Stores `source` again under the name `destination`, sharing its file (Ollama's copy).
// Error(not_found) without the source, Error(invalid_argument) when the name is taken.
StoredModel copy_model(const std::string& source, const std::string& destination);

// A path that exists is returned as is; otherwise a stored model's name (or catalog alias);
// Error(not_found) with a hint to `hearth pull` when neither.
std::string resolve_model_path(const std::string& name_or_path);

}  // namespace hearth::hub
