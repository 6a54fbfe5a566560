// Python semantics the built-ins share: lengths in code points, iteration, ordering,
// Unicode-aware strip, and json.dumps.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/utf8.h"
#include "jinja/runtime.h"

namespace hearth::jinja {

void runtime_error(const std::string& msg) { throw TemplateError(TemplateError::Kind::runtime, msg); }

std::vector<uint32_t> code_points(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(utf8::decode(s, pos));
  return out;
}

std::string from_code_points(const std::vector<uint32_t>& cps, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end && i < cps.size(); ++i) utf8::append(out, cps[i]);
  return out;
}


size_t py_len(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::String: return is_ascii(v.str()) ? v.str().size() : code_points(v.str()).size();
    case Value::Kind::List: return v.items().size();
    case Value::Kind::Dict:
    case Value::Kind::Namespace: return v.entries().size();
    case Value::Kind::Undefined: return 0;
    default: runtime_error("object of type '" + v.type_name() + "' has no len()");
  }
}

std::vector<Value> iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::List: return v.items();
    case Value::Kind::Dict: {
      std::vector<Value> keys;
      for (const auto& kv : v.entries()) keys.push_back(kv.first);
      return keys;
    }
    case Value::Kind::String: {
      std::vector<Value> out;
      size_t pos = 0;
      const std::string& s = v.str();
      while (pos < s.size()) {
        size_t start = pos;
        utf8::decode(s, pos);
        out.emplace_back(s.substr(start, pos - start));
      }
      return out;
    }
    case Value::Kind::Undefined: return {};
    default: runtime_error("'" + v.type_name() + "' object is not iterable");
  }
}

int compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (!a.is_float() && !b.is_float()) return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
    double x = a.to_double(), y = b.to_double();
    return x < y ? -1 : x > y;
  }
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());  // UTF-8 byte order equals code point order
    return c < 0 ? -1 : c > 0;
  }
  if (a.is_list() && b.is_list()) {
    const auto &x = a.items(), &y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (x[i].equals(y[i])) continue;
      return compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size();
  }
  runtime_error("'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

// Python's str.isspace() set.
static bool py_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

std::string py_strip(std::string_view s, const Value& chars, bool left, bool right) {
  std::vector<uint32_t> cps = code_points(s);
  std::vector<uint32_t> set;
  bool ws = chars.is_undefined() || chars.is_none();
  if (!ws) {
    if (!chars.is_string()) runtime_error("strip arg must be None or str");
    set = code_points(chars.str());
  }
  auto strip_it = [&](uint32_t c) { return ws ? py_space(c) : std::find(set.begin(), set.end(), c) != set.end(); };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strip_it(cps[b])) ++b;
  if (right)
    while (e > b && strip_it(cps[e - 1])) --e;
  return from_code_points(cps, b, e);
}

static void json_value(std::string& out, const Value& v, const JsonStyle& st, int level) {
  auto newline = [&](int lvl) {
    out += '\n';
    for (int i = 0; i < lvl; ++i) out += st.indent;
  };
  if (level > 500) runtime_error("tojson: value nested too deeply");
  switch (v.kind()) {
    case Value::Kind::None: out += "null"; return;
    case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::Int: out += std::to_string(v.as_int()); return;
    case Value::Kind::Float: {
      double d = v.as_float();
      if (std::isnan(d)) out += "NaN";
      else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
      else out += format_float(d);
      return;
    }
    case Value::Kind::String: utf8::append_python_json_string(out, v.str(), st.ensure_ascii); return;
    case Value::Kind::List: {
      if (v.items().empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& e : v.items()) {
        if (!first) out += st.item_sep;
        first = false;
        if (st.has_indent) newline(level + 1);
        json_value(out, e, st, level + 1);
      }
      if (st.has_indent) newline(level);
      out += ']';
      return;
    }
    case Value::Kind::Dict:
    case Value::Kind::Namespace: {
      if (v.entries().empty()) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<Value, Value>*> items;
      for (const auto& kv : v.entries()) items.push_back(&kv);
      auto key_str = [](const Value& k) -> std::string {
        if (k.is_string()) return k.str();
        if (k.is_none()) return "null";
        if (k.is_bool()) return k.as_bool() ? "true" : "false";
        if (k.is_int() || k.is_float()) return k.to_string();
        runtime_error("keys must be str, int, float, bool or None, not " + k.type_name());
      };
      if (st.sort_keys)
        std::stable_sort(items.begin(), items.end(), [&](auto* a, auto* b) { return key_str(a->first) < key_str(b->first); });
      out += '{';
      bool first = true;
      for (auto* kv : items) {
        if (!first) out += st.item_sep;
        first = false;
        if (st.has_indent) newline(level + 1);
        utf8::append_python_json_string(out, key_str(kv->first), st.ensure_ascii);
        out += st.key_sep;
        json_value(out, kv->second, st, level + 1);
      }
      if (st.has_indent) newline(level);
      out += '}';
      return;
    }
    default: runtime_error("Object of type " + v.type_name() + " is not JSON serializable");
  }
}

std::string to_json(const Value& v, const JsonStyle& style) {
  std::string out;
  json_value(out, v, style, 0);
  return out;
}

}  // namespace hearth::jinja
