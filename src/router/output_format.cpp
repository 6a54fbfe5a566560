#include "router/output_format.h"

namespace hearth::router {
namespace {

bool has(const json& j, const char* k) { return j.is_object() && j.contains(k) && !j[k].is_null(); }

ordered_json schema_at(const json& v, const std::string& field) {
  if (!v.is_object() && !v.is_boolean()) throw bad_field(field, "must be a JSON schema object");
  return ordered_json(v);
}

}  // namespace

OutputFormat openai_output_format(const json& j) {
  OutputFormat f;
  if (has(j, "response_format")) {
    const json& rf = j["response_format"];
    if (!rf.is_object()) throw bad_field("response_format", "must be an object");
    if (!has(rf, "type") || !rf["type"].is_string()) throw bad_field("response_format.type", "is required (text, json_object or json_schema)");
    const std::string type = rf["type"];
    if (type == "json_object") {
      f.json = true;
      f.field = "response_format";
    } else if (type == "json_schema") {
      if (!has(rf, "json_schema") || !rf["json_schema"].is_object())
        throw bad_field("response_format.json_schema", "is required with type json_schema (an object with name and schema)");
      const json& js = rf["json_schema"];
      f.json = true;
      f.field = "response_format.json_schema.schema";
      // OpenAI requires a schema; llama.cpp treats a missing one as "any JSON".
      if (has(js, "schema")) f.schema = schema_at(js["schema"], f.field);
      if (has(js, "name")) {
        if (!js["name"].is_string()) throw bad_field("response_format.json_schema.name", "must be a string");
        f.schema_name = js["name"];
      }
      if (has(js, "strict")) {
        if (!js["strict"].is_boolean()) throw bad_field("response_format.json_schema.strict", "must be a boolean");
        f.strict = js["strict"];
      }
    } else if (type != "text") {
      throw bad_field("response_format.type", "must be text, json_object or json_schema (got '" + type + "')");
    }
  }
  if (has(j, "json_schema")) {  // llama.cpp's field
    if (f.json) throw bad_field("json_schema", "cannot be combined with response_format");
    f.json = true;
    f.schema = schema_at(j["json_schema"], "json_schema");
    f.field = "json_schema";
  }
  if (has(j, "grammar")) {  // llama.cpp's field
    if (!j["grammar"].is_string()) throw bad_field("grammar", "must be a string (GBNF)");
    if (f.json) throw bad_field("grammar", "cannot be combined with response_format or json_schema");
    f.grammar = j["grammar"];
    f.field = "grammar";
  }
  return f;
}

OutputFormat ollama_output_format(const json& v) {
  OutputFormat f;
  if (v.is_null()) return f;
  if (v.is_string()) {
    if (v != "json" && v != "") throw bad_field("format", "must be \"json\" or a JSON schema object");
    f.json = v == "json";
  } else if (v.is_object()) {
    f.json = true;
    f.schema = ordered_json(v);
  } else {
    throw bad_field("format", "must be \"json\" or a JSON schema object");
  }
  f.field = "format";
  return f;
}

void restore_schema_order(std::string_view body, OutputFormat& f) {
  if (f.schema.is_null() || f.field.empty()) return;
  try {
    const ordered_json doc = ordered_json::parse(body);
    const ordered_json* at = &doc;
    size_t start = 0;
    while (start <= f.field.size()) {
      size_t dot = f.field.find('.', start);
      const std::string key = f.field.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!at->is_object() || !at->contains(key)) return;
      at = &(*at)[key];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    f.schema = *at;
  } catch (const ordered_json::exception&) {
    // The body already parsed once; nothing to restore if it somehow does not now.
  }
}

json openai_response_format(const OutputFormat& f) {
  if (!f.json) return nullptr;
  if (f.schema.is_null()) return {{"type", "json_object"}};
  json js = {{"name", f.schema_name.empty() ? "response" : f.schema_name}, {"schema", json::parse(f.schema.dump())}};
  if (f.strict) js["strict"] = true;
  return {{"type", "json_schema"}, {"json_schema", js}};
}

}  // namespace hearth::router
