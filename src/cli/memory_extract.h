// `hearth memory extract`: turns imported conversations (episode records) or a JSONL chat log
// into memories with memory::extract() and a model reached through the router (docs/memory.md).
#pragma once
#include <string>
#include <vector>

#include "memory/store.h"
#include "model/model.h"

namespace hearth::cli {

struct ExtractCliOptions {
  std::string model, config, file;  // --model, --config, --file
  std::string saved_model;          // the memory folder's extract_model setting ("" = none)
  std::vector<std::string> ids;     // --id (episode ids)
  bool episodes = false, dry_run = false, json_out = false;
  model::LoadOptions load;          // for a local:FILE.gguf model
};

int run_memory_extract(memory::Store& store, const ExtractCliOptions& opts);

}  // namespace hearth::cli
