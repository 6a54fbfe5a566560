// `hearth memory extract`: turns imported conversations (episode records) or a JSONL chat log
// into memories with memory::extract() and a model reached through the router (docs/memory.md).
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "memory/reconcile.h"
#include "memory/record.h"
#include "memory/serve_extract.h"
#include "router/router.h"
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

// The model that decides how added memories relate to stored ones (memory::RememberOptions):
// `model`, else `saved_model`; null when both are empty. Its router has the engine in its local
// slot for local:FILE.gguf; it is shown only what the scope policies in `policy_config` allow
// its provider.
struct MemoryDecider {
  std::unique_ptr<router::Router> router;
  std::unique_ptr<memory::ProviderModel> model;
  memory::RememberOptions options() const;
  std::function<bool(const memory::Record&)> may_show;
};
std::unique_ptr<MemoryDecider> open_memory_decider(const std::string& model, const std::string& saved_model,
                                                   const std::string& config, const model::LoadOptions& load,
                                                   const std::filesystem::path& policy_config);

// `hearth memory add` with a model deciding how the new memory relates to the stored ones
// (memory::remember with RememberOptions::model): --model, else the saved extractor; without
// either (or with `rules`), the rules decide. Prints what `memory add` prints.
struct AddCliOptions {
  std::string model, config, saved_model;
  bool rules = false, json_out = false;
  model::LoadOptions load;
  std::filesystem::path policy_config;  // the config.json with the scope policies
};
int run_memory_add(memory::Store& store, const memory::Record& record, const std::string& by, const AddCliOptions& opts);

}  // namespace hearth::cli
