#include "core/error.h"
#include "pack/pack.h"

namespace hearth::pack {

json Manifest::to_json() const {
  return json{{"format", "hearth-pack"},
              {"format_version", kFormatVersion},
              {"name", name},
              {"model", {{"file", model_file}, {"architecture", architecture}, {"size", gguf_size},
                         {"sha256", gguf_sha256}}},
              {"runtime", {{"size", runtime_size}, {"sha256", runtime_sha256}, {"static", runtime_static},
                           {"target", runtime_target}, {"hearth_version", hearth_version},
                           {"hearth_commit", hearth_commit}}},
              {"args", args},
              {"system", system},
              {"memories", memories},
              {"kv", kv.size == 0 ? json(nullptr)
                                  : json{{"offset", kv.offset}, {"size", kv.size}, {"sha256", kv.sha256}, {"tokens", kv.tokens},
                                         {"model_sha256", kv.model_sha256}, {"cache_type_k", kv.cache_type_k},
                                         {"cache_type_v", kv.cache_type_v}}},
              {"created", created}};
}

namespace {

const json& field(const json& obj, const char* key, const char* where) {
  if (!obj.is_object() || !obj.contains(key))
    fail(Errc::format, std::string("pack manifest: '") + where + key + "' is missing");
  return obj.at(key);
}

std::string str(const json& obj, const char* key, const char* where) {
  const json& v = field(obj, key, where);
  if (!v.is_string()) fail(Errc::format, std::string("pack manifest: '") + where + key + "' must be a string");
  return v.get<std::string>();
}

uint64_t num(const json& obj, const char* key, const char* where) {
  const json& v = field(obj, key, where);
  if (!v.is_number_unsigned()) fail(Errc::format, std::string("pack manifest: '") + where + key + "' must be a count");
  return v.get<uint64_t>();
}

}  // namespace

Manifest Manifest::from_json(const json& j) {
  if (!j.is_object()) fail(Errc::format, "pack manifest: not a JSON object");
  if (str(j, "format", "") != "hearth-pack") fail(Errc::format, "pack manifest: 'format' is not hearth-pack");
  Manifest m;
  m.name = str(j, "name", "");
  const json& model = field(j, "model", "");
  m.model_file = str(model, "file", "model.");
  m.architecture = str(model, "architecture", "model.");
  m.gguf_size = num(model, "size", "model.");
  m.gguf_sha256 = str(model, "sha256", "model.");
  const json& rt = field(j, "runtime", "");
  m.runtime_size = num(rt, "size", "runtime.");
  m.runtime_sha256 = str(rt, "sha256", "runtime.");
  const json& st = field(rt, "static", "runtime.");
  if (!st.is_boolean()) fail(Errc::format, "pack manifest: 'runtime.static' must be true or false");
  m.runtime_static = st.get<bool>();
  m.runtime_target = str(rt, "target", "runtime.");
  m.hearth_version = str(rt, "hearth_version", "runtime.");
  m.hearth_commit = str(rt, "hearth_commit", "runtime.");
  const json& args = field(j, "args", "");
  if (!args.is_array()) fail(Errc::format, "pack manifest: 'args' must be an array of strings");
  for (const auto& a : args) {
    if (!a.is_string()) fail(Errc::format, "pack manifest: 'args' must be an array of strings");
    m.args.push_back(a.get<std::string>());
  }
  if (j.contains("system")) m.system = str(j, "system", "");
  if (j.contains("memories")) m.memories = num(j, "memories", "");
  if (j.contains("kv") && !j["kv"].is_null()) {
    const json& kv = j["kv"];
    m.kv.offset = num(kv, "offset", "kv.");
    m.kv.size = num(kv, "size", "kv.");
    m.kv.sha256 = str(kv, "sha256", "kv.");
    m.kv.tokens = num(kv, "tokens", "kv.");
    m.kv.model_sha256 = str(kv, "model_sha256", "kv.");
    m.kv.cache_type_k = str(kv, "cache_type_k", "kv.");
    m.kv.cache_type_v = str(kv, "cache_type_v", "kv.");
  }
  m.created = str(j, "created", "");
  return m;
}

std::vector<std::string> split_args(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\')) cur += s[++i];
      else cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) fail(Errc::invalid_argument, "--args: unterminated " + std::string(1, quote) + " quote");
  if (in_word) out.push_back(cur);
  return out;
}

}  // namespace hearth::pack
