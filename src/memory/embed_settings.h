// Which embedding model memory uses. A spec is one of
//   hash                 the built-in hearth-hash-384 (no model; a lexical baseline)
//   local:FILE.gguf      the in-process engine on that GGUF file (a pulled model's name works too)
//   PROVIDER:MODEL       any provider or alias in the router config ($HEARTH_HOME/router.yaml)
// The saved choice lives in $HEARTH_HOME/memory/config.json as {"embed_model": SPEC}.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "core/json.h"

namespace hearth::memory {

struct EmbedSpec {
  enum class Kind { hash, local, routed } kind = Kind::hash;
  std::string target;  // local: the file (or pulled model name); routed: "provider:model"
  std::string text() const;
};

// Throws Error(invalid_argument) naming `where` and the accepted forms.
EmbedSpec parse_embed_spec(const std::string& spec, const std::string& where);

std::filesystem::path embed_config_path();  // $HEARTH_HOME/memory/config.json
// The saved spec, if any; a malformed file throws Error(format) naming it.
std::optional<std::string> load_embed_setting();
// Saves (validated) `spec`; an empty spec removes the setting. Written atomically.
void save_embed_setting(const std::string& spec);

// The largest memory text a store accepts, in bytes: {"max_memory_bytes": N} in `config` (the
// config.json beside the database), else 16 KiB. A memory is a fact, preference or note; longer
// text belongs in a document, and one huge memory slows every search. Throws Error(format) for a
// value that is not a positive integer.
constexpr size_t kDefaultMaxMemoryBytes = 16 * 1024;
size_t load_max_memory_bytes(const std::filesystem::path& config);

// The extraction model ({"extract_model": "provider:model"} in `config`): which router model
// turns conversations into memories in `serve` and `hearth memory extract`. Unset: the served
// model (serve) or the router's default model (extract). A non-string is Error(format).
std::optional<std::string> load_extract_model(const std::filesystem::path& config);
void save_extract_model(const std::filesystem::path& config, const std::string& model);  // "" removes it

// The settings file of the store at `db`: config.json in the same folder (scope policies, the
// extraction model, the size limit).
std::filesystem::path memory_config_path(const std::filesystem::path& db);

// The memory folder's config.json as an object ({} when the file is missing; Error(format) when it
// is not a JSON object), and its atomic replacement (temporary file, then rename).
json read_memory_config(const std::filesystem::path& config);
void write_memory_config(const std::filesystem::path& config, const json& j);

}  // namespace hearth::memory
