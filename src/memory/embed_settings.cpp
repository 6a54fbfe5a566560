#include "memory/embed_settings.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/json.h"
#include "core/paths.h"

namespace hearth::memory {

std::string EmbedSpec::text() const {
  switch (kind) {
    case Kind::hash: return "hash";
    case Kind::local: return "local:" + target;
    case Kind::routed: return target;
  }
  return "hash";
}

EmbedSpec parse_embed_spec(const std::string& spec, const std::string& where) {
  EmbedSpec s;
  if (spec == "hash") return s;
  size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    fail(Errc::invalid_argument, where + ": embedding model \"" + spec +
                                     "\" is not one of hash, local:FILE.gguf or provider:model");
  if (spec.compare(0, colon, "local") == 0) {
    s.kind = EmbedSpec::Kind::local;
    s.target = spec.substr(colon + 1);
  } else {
    s.kind = EmbedSpec::Kind::routed;
    s.target = spec;
  }
  return s;
}

std::filesystem::path embed_config_path() { return hearth_home() / "memory" / "config.json"; }

std::filesystem::path memory_config_path(const std::filesystem::path& db) { return db.parent_path() / "config.json"; }

json read_memory_config(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return json::object();
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail(Errc::format, p.string() + ": not a JSON object");
  return j;
}

void write_memory_config(const std::filesystem::path& p, const json& j) {
  std::filesystem::create_directories(p.parent_path());
  auto tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) fail(Errc::io, "cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, p, ec);
  if (ec) fail(Errc::io, "cannot replace " + p.string() + ": " + ec.message());
}

std::optional<std::string> load_embed_setting() {
  auto p = embed_config_path();
  json j = read_memory_config(p);
  if (!j.contains("embed_model")) return std::nullopt;
  if (!j["embed_model"].is_string()) fail(Errc::format, p.string() + ": \"embed_model\" must be a string");
  std::string spec = j["embed_model"].get<std::string>();
  parse_embed_spec(spec, p.string());
  return spec;
}

size_t load_max_memory_bytes(const std::filesystem::path& config) {
  json j = read_memory_config(config);
  if (!j.contains("max_memory_bytes")) return kDefaultMaxMemoryBytes;
  const json& v = j["max_memory_bytes"];
  if (!v.is_number_integer() || v.get<int64_t>() < 1)
    fail(Errc::format, config.string() + ": \"max_memory_bytes\" must be a positive integer");
  return static_cast<size_t>(v.get<int64_t>());
}

std::optional<std::string> load_extract_model(const std::filesystem::path& config) {
  const json j = read_memory_config(config);
  auto it = j.find("extract_model");
  if (it == j.end()) return std::nullopt;
  if (!it->is_string() || it->get<std::string>().empty())
    fail(Errc::format, config.string() + ": \"extract_model\" must be a model name (provider:model or an alias)");
  return it->get<std::string>();
}

void save_extract_model(const std::filesystem::path& config, const std::string& model) {
  json j = read_memory_config(config);
  if (model.empty()) j.erase("extract_model");
  else j["extract_model"] = model;
  write_memory_config(config, j);
}

void save_embed_setting(const std::string& spec) {
  auto p = embed_config_path();
  json j = read_memory_config(p);
  if (spec.empty()) {
    j.erase("embed_model");
  } else {
    parse_embed_spec(spec, "embedding model");
    j["embed_model"] = spec;
  }
  write_memory_config(p, j);
}

}  // namespace hearth::memory
