#include "gguf/summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace hearth::gguf {
namespace {

// Shortest decimal form that reads back as the same float: 1e-05 rather than 9.99999974e-06.
double shortest_float(double d) {
  const float f = static_cast<float>(d);
  if (!std::isfinite(f)) return d;
  char buf[32];
  for (int prec = 6; prec <= 9; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f) break;
  }
  return std::strtod(buf, nullptr);
}

std::string number_text(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", d);
  return buf;
}

std::string escape_cut(const std::string& s, size_t max_chars) {
  std::string out = "\"";
  size_t shown = 0;
  for (char c : s) {
    if (shown >= max_chars) break;
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
    ++shown;
  }
  // Do not leave half a UTF-8 sequence at the cut.
  if (shown < s.size()) {
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    return out + "\"... (" + std::to_string(s.size()) + " bytes)";
  }
  return out + "\"";
}

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  else std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  return buf;
}

}  // namespace

ordered_json value_to_json(const Value& v, size_t max_array_items) {
  switch (v.type) {
    case ValueType::FLOAT32: return shortest_float(v.as_float());
    case ValueType::FLOAT64: return v.as_float();
    case ValueType::BOOL: return v.as_bool();
    case ValueType::STRING: return v.as_string();
    case ValueType::ARRAY: {
      const Array& a = v.as_array();
      if (a.items.size() > max_array_items)
        return ordered_json{{"type", "array"},
                            {"elem_type", value_type_name(a.elem_type)},
                            {"length", a.items.size()}};
      ordered_json out = ordered_json::array();
      for (const auto& item : a.items) out.push_back(value_to_json(item, max_array_items));
      return out;
    }
    default:
      if (const auto* u = std::get_if<uint64_t>(&v.v)) return *u;
      return v.as_int();
  }
}

std::string value_to_text(const Value& v, size_t max_array_items, size_t max_chars) {
  switch (v.type) {
    case ValueType::FLOAT32: return number_text(shortest_float(v.as_float()));
    case ValueType::FLOAT64: return number_text(v.as_float());
    case ValueType::BOOL: return v.as_bool() ? "true" : "false";
    case ValueType::STRING: return escape_cut(v.as_string(), max_chars);
    case ValueType::ARRAY: {
      const Array& a = v.as_array();
      std::string out = "[";
      if (a.items.size() > max_array_items) {
        out += std::to_string(a.items.size());
        out += " items of ";
        out += value_type_name(a.elem_type);
        return out + "]";
      }
      for (size_t i = 0; i < a.items.size(); ++i) {
        if (i) out += ", ";
        out += value_to_text(a.items[i], max_array_items, max_chars);
      }
      return out + "]";
    }
    default:
      if (const auto* u = std::get_if<uint64_t>(&v.v)) return std::to_string(*u);
      return std::to_string(v.as_int());
  }
}

ordered_json summarize(const File& f, const SummaryOptions& opt) {
  ordered_json j;
  j["file"] = f.name();
  j["version"] = f.version();
  j["file_size"] = f.file_size();
  j["alignment"] = f.alignment();
  j["data_offset"] = f.data_offset();
  const std::string arch = f.architecture();
  j["architecture"] = arch;
  j["name"] = f.get_string("general.name");

  // Every "<arch>.*" key, with the prefix removed ("attention.head_count", "rope.freq_base").
  ordered_json hp = ordered_json::object();
  if (!arch.empty()) {
    const std::string prefix = arch + ".";
    for (const auto& [k, v] : f.metadata())
      if (k.rfind(prefix, 0) == 0) hp[k.substr(prefix.size())] = value_to_json(v, opt.max_array_items);
  }
  j["hyperparameters"] = hp;

  ordered_json tok = ordered_json::object();
  if (const Value* m = f.find("tokenizer.ggml.model")) tok["model"] = value_to_json(*m, 0);
  if (const Value* p = f.find("tokenizer.ggml.pre")) tok["pre"] = value_to_json(*p, 0);
  if (const Value* t = f.find("tokenizer.ggml.tokens"); t && t->type == ValueType::ARRAY)
    tok["vocab_size"] = t->as_array().items.size();
  if (const Value* m = f.find("tokenizer.ggml.merges"); m && m->type == ValueType::ARRAY)
    tok["merges"] = m->as_array().items.size();
  for (const auto& [k, v] : f.metadata()) {
    const std::string pre = "tokenizer.ggml.";
    if (k.rfind(pre, 0) == 0 && k.size() > pre.size() + 9 && k.compare(k.size() - 9, 9, "_token_id") == 0)
      tok[k.substr(pre.size())] = value_to_json(v, 0);
  }
  if (const Value* t = f.find("tokenizer.chat_template"); t && t->type == ValueType::STRING) {
    tok["chat_template"] = true;
    tok["chat_template_length"] = t->as_string().size();
  } else {
    tok["chat_template"] = false;
  }
  j["tokenizer"] = tok;

  ordered_json md = ordered_json::object();
  for (const auto& [k, v] : f.metadata()) md[k] = value_to_json(v, opt.max_array_items);
  j["metadata"] = md;

  uint64_t params = 0, bytes = 0;
  struct PerType {
    uint64_t count = 0, params = 0, bytes = 0;
  };
  std::map<std::string, PerType> by_type;
  ordered_json tensors = ordered_json::array();
  std::vector<uint32_t> unknown;  // type ids hearth does not know (ParseOptions::allow_unknown_types)
  for (const auto& t : f.tensors()) {
    const std::string type = t.known_type ? std::string(tensor::type_name(t.type))
                                          : "unknown type id " + std::to_string(t.type_id);
    if (!t.known_type && std::find(unknown.begin(), unknown.end(), t.type_id) == unknown.end())
      unknown.push_back(t.type_id);
    params += static_cast<uint64_t>(t.n_elements());
    bytes += t.nbytes;
    auto& pt = by_type[type];
    pt.count++;
    pt.params += static_cast<uint64_t>(t.n_elements());
    pt.bytes += t.nbytes;
    if (opt.tensors) {
      ordered_json row = {{"name", t.name}, {"type", type}, {"dims", t.dims}, {"bytes", t.nbytes}, {"offset", t.offset}};
      if (!t.known_type) row["bytes"] = nullptr;  // unknown without the type's block layout
      tensors.push_back(std::move(row));
    }
  }
  if (opt.tensors) j["tensors"] = tensors;
  ordered_json bt = ordered_json::object();
  for (const auto& [type, pt] : by_type)
    bt[type] = {{"tensors", pt.count}, {"parameters", pt.params}, {"bytes", pt.bytes}};
  j["totals"] = {{"tensors", f.tensors().size()},
                 {"parameters", params},
                 {"bytes", bytes},
                 {"size", human_bytes(bytes)},
                 {"by_type", bt}};
  if (!unknown.empty()) j["totals"]["unknown_type_ids"] = unknown;
  return j;
}

}  // namespace hearth::gguf
