// Attribute and item access, and the Python methods templates call on str, dict and list.
// Mutating methods (list.append, dict.update, ...) are refused, as in Jinja's immutable sandbox.
#include <algorithm>
#include <cctype>
#include <optional>

#include "jinja/runtime.h"

namespace hearth::jinja {
namespace {


std::string ascii_map(std::string s, int (*f)(int)) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x80) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  return s;
}

const std::string& str_arg(const CallArgs& a, size_t i, const char* name, const char* method) {
  const Value* v = a.get(i, name);
  if (!v || !v->is_string()) runtime_error(std::string(method) + "() argument must be str");
  return v->str();
}

Value split(const std::string& s, const CallArgs& a, bool from_right) {
  Value sep = a.get_or(0, "sep", Value::none());
  int64_t maxsplit = -1;
  if (const Value* m = a.get(1, "maxsplit")) {
    if (!m->is_int()) runtime_error("maxsplit must be an integer");
    maxsplit = m->as_int();
  }
  List out;
  if (sep.is_none()) {
    // Whitespace split: runs of ASCII whitespace, no empty pieces.
    std::vector<std::pair<size_t, size_t>> words;
    size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      if (i >= s.size()) break;
      size_t b = i;
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      words.emplace_back(b, i);
    }
    if (maxsplit < 0 || static_cast<size_t>(maxsplit) >= words.size()) {
      for (auto [b, e] : words) out.emplace_back(s.substr(b, e - b));
    } else if (!from_right) {
      for (int64_t k = 0; k < maxsplit; ++k) out.emplace_back(s.substr(words[k].first, words[k].second - words[k].first));
      size_t rest = words[maxsplit].first;
      size_t end = s.size();
      while (end > rest && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
      out.emplace_back(s.substr(rest, end - rest));
    } else {
      size_t first_kept = words.size() - static_cast<size_t>(maxsplit);
      size_t b = 0;
      while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
      out.emplace_back(s.substr(b, words[first_kept - 1].second - b));
      for (size_t k = first_kept; k < words.size(); ++k) out.emplace_back(s.substr(words[k].first, words[k].second - words[k].first));
    }
    return Value::list(std::move(out));
  }
  if (!sep.is_string()) runtime_error("split() separator must be str or None");
  const std::string& d = sep.str();
  if (d.empty()) runtime_error("empty separator");
  if (!from_right) {
    size_t pos = 0;
    int64_t n = 0;
    while (maxsplit < 0 || n < maxsplit) {
      size_t f = s.find(d, pos);
      if (f == std::string::npos) break;
      out.emplace_back(s.substr(pos, f - pos));
      pos = f + d.size();
      ++n;
    }
    out.emplace_back(s.substr(pos));
    return Value::list(std::move(out));
  }
  std::vector<std::string> rev;
  size_t end = s.size();
  int64_t n = 0;
  while (maxsplit < 0 || n < maxsplit) {
    if (end < d.size()) break;
    size_t f = s.rfind(d, end - d.size());
    if (f == std::string::npos) break;
    rev.push_back(s.substr(f + d.size(), end - f - d.size()));
    end = f;
    ++n;
  }
  rev.push_back(s.substr(0, end));
  for (auto it = rev.rbegin(); it != rev.rend(); ++it) out.emplace_back(*it);
  return Value::list(std::move(out));
}

bool affix_match(const std::string& s, const Value& what, bool prefix, const char* method) {
  auto one = [&](const Value& p) {
    if (!p.is_string()) runtime_error(std::string(method) + " first arg must be str or a tuple of str");
    const std::string& x = p.str();
    if (x.size() > s.size()) return false;
    return prefix ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (what.is_list()) {
    for (const auto& p : what.items())
      if (one(p)) return true;
    return false;
  }
  return one(what);
}

std::string title_case(const std::string& s) {
  std::string out = s;
  bool prev_cased = false;
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalpha(u)) {
      c = static_cast<char>(prev_cased ? std::tolower(u) : std::toupper(u));
      prev_cased = true;
    } else {
      prev_cased = u >= 0x80 && prev_cased;
    }
  }
  return out;
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  std::string out;
  if (from.empty()) {
    // Python inserts `to` between every character (and at both ends).
    auto cps = code_points(s);
    int64_t n = 0;
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || n < count) out += to, ++n;
      if (i < cps.size()) out += from_code_points(cps, i, i + 1);
    }
    return out;
  }
  size_t pos = 0;
  int64_t n = 0;
  while (count < 0 || n < count) {
    size_t f = s.find(from, pos);
    if (f == std::string::npos) break;
    out.append(s, pos, f - pos);
    out += to;
    pos = f + from.size();
    ++n;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

Value string_method(const std::string& s, const std::string& name, CallArgs& a) {
  if (name == "strip" || name == "lstrip" || name == "rstrip")
    return Value(py_strip(s, a.get_or(0, "chars", Value::none()), name != "rstrip", name != "lstrip"));
  if (name == "split") return split(s, a, false);
  if (name == "rsplit") return split(s, a, true);
  if (name == "startswith") return Value(affix_match(s, a.get_or(0, "prefix", Value()), true, "startswith"));
  if (name == "endswith") return Value(affix_match(s, a.get_or(0, "suffix", Value()), false, "endswith"));
  if (name == "upper") return Value(ascii_map(s, ::toupper));
  if (name == "lower") return Value(ascii_map(s, ::tolower));
  if (name == "title") return Value(title_case(s));
  if (name == "capitalize") {
    std::string out = ascii_map(s, ::tolower);
    if (!out.empty() && static_cast<unsigned char>(out[0]) < 0x80) out[0] = static_cast<char>(std::toupper(out[0]));
    return Value(out);
  }
  if (name == "replace") {
    Value cnt = a.get_or(2, "count", Value(int64_t{-1}));
    return Value(replace_all(s, str_arg(a, 0, "old", "replace"), str_arg(a, 1, "new", "replace"), cnt.is_int() ? cnt.as_int() : -1));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    const std::string& sub = str_arg(a, 0, "sub", name.c_str());
    if (name == "count") {
      if (sub.empty()) return Value(static_cast<int64_t>(py_len(Value(s)) + 1));
      int64_t n = 0;
      for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
      return Value(n);
    }
    size_t p = (name == "find" || name == "index") ? s.find(sub) : s.rfind(sub);
    if (p == std::string::npos) {
      if (name == "index" || name == "rindex") runtime_error("substring not found");
      return Value(int64_t{-1});
    }
    // Python indexes in code points.
    return Value(static_cast<int64_t>(is_ascii(s) ? p : code_points(s.substr(0, p)).size()));
  }
  if (name == "join") {
    const Value* it = a.get(0, "iterable");
    if (!it) runtime_error("join() takes exactly one argument");
    std::string out;
    bool first = true;
    for (const auto& e : iterate(*it)) {
      if (!e.is_string()) runtime_error("sequence item: expected str instance, " + e.type_name() + " found");
      if (!first) out += s;
      first = false;
      out += e.str();
    }
    return Value(out);
  }
  if (name == "splitlines") {
    List out;
    size_t b = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n' || s[i] == '\r') {
        out.emplace_back(s.substr(b, i - b));
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
        b = i + 1;
      }
    }
    if (b < s.size()) out.emplace_back(s.substr(b));
    return Value::list(std::move(out));
  }
  auto all_of = [&](int (*f)(int)) {
    if (s.empty()) return false;
    for (unsigned char c : s)
      if (!f(c)) return false;
    return true;
  };
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") return Value(all_of(::isdigit));
  if (name == "isalpha") return Value(all_of(::isalpha));
  if (name == "isalnum") return Value(all_of(::isalnum));
  if (name == "isspace") return Value(all_of(::isspace));
  if (name == "islower") return Value(s != ascii_map(s, ::toupper) && s == ascii_map(s, ::tolower));
  if (name == "isupper") return Value(s != ascii_map(s, ::tolower) && s == ascii_map(s, ::toupper));
  runtime_error("'str object' has no attribute '" + name + "'");
}

const char* kStrMethods[] = {"strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith", "upper",
                             "lower", "title", "capitalize", "replace", "find", "rfind", "index", "rindex",
                             "count", "join", "splitlines", "isdigit", "isnumeric", "isdecimal", "isalpha",
                             "isalnum", "isspace", "islower", "isupper"};
const char* kDictMethods[] = {"items", "keys", "values", "get"};
const char* kMutators[] = {"append", "pop", "insert", "extend", "remove", "clear", "sort", "reverse",
                           "update", "setdefault", "popitem", "copy"};

bool in(const char* const* b, const char* const* e, const std::string& n) {
  return std::find_if(b, e, [&](const char* x) { return n == x; }) != e;
}

Value dict_method(const Value& d, const std::string& name, CallArgs& a) {
  if (name == "items") {
    List out;
    for (const auto& [k, v] : d.entries()) out.push_back(Value::list({k, v}, true));
    return Value::list(std::move(out));
  }
  if (name == "keys" || name == "values") {
    List out;
    for (const auto& [k, v] : d.entries()) out.push_back(name == "keys" ? k : v);
    return Value::list(std::move(out));
  }
  // get
  const Value* key = a.get(0, "key");
  if (!key) runtime_error("get expected at least 1 argument");
  const Value* found = d.find(*key);
  return found ? *found : a.get_or(1, "default", Value::none());
}

Value list_method(const Value& l, const std::string& name, CallArgs& a) {
  const Value* x = a.get(0, "value");
  if (!x) runtime_error(name + "() takes exactly one argument");
  if (name == "count") {
    int64_t n = 0;
    for (const auto& e : l.items()) n += e.equals(*x);
    return Value(n);
  }
  for (size_t i = 0; i < l.items().size(); ++i)
    if (l.items()[i].equals(*x)) return Value(static_cast<int64_t>(i));
  runtime_error(x->repr() + " is not in list");
}

}  // namespace

Value get_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) runtime_error(obj.undefined_hint().empty() ? "undefined value has no attribute '" + name + "'" : obj.undefined_hint());
  if (obj.is_namespace()) {
    if (const Value* v = obj.find(std::string_view(name))) return *v;
    return Value::undefined("'Namespace' object has no attribute '" + name + "'");
  }
  auto bound = [&](Value (*f)(const Value&, const std::string&, CallArgs&)) {
    return Value::function(name, [obj, name, f](CallArgs& a) { return f(obj, name, a); });
  };
  if (in(std::begin(kMutators), std::end(kMutators), name) && (obj.is_list() || obj.is_dict())) {
    std::string type = obj.type_name();
    return Value::function(name, [type, name](CallArgs&) -> Value {
      runtime_error("access to attribute '" + name + "' of '" + type + "' object is unsafe.");
    });
  }
  if (obj.is_dict()) {
    if (in(std::begin(kDictMethods), std::end(kDictMethods), name)) return bound(dict_method);
    if (const Value* v = obj.find(std::string_view(name))) return *v;
    return Value::undefined("'dict object' has no attribute '" + name + "'");
  }
  if (obj.is_string() && in(std::begin(kStrMethods), std::end(kStrMethods), name))
    return bound([](const Value& o, const std::string& n, CallArgs& a) { return string_method(o.str(), n, a); });
  if (obj.is_list() && (name == "index" || name == "count")) return bound(list_method);
  return Value::undefined("'" + obj.type_name() + " object' has no attribute '" + name + "'");
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) runtime_error(obj.undefined_hint().empty() ? "undefined value has no item " + key.repr() : obj.undefined_hint());
  if (obj.is_mapping()) {
    if (const Value* v = obj.find(key)) return *v;
    if (key.is_string() && obj.is_dict()) {
      // Jinja falls back to attributes for subscripts too (d['items'] on a dict without that key).
      if (in(std::begin(kDictMethods), std::end(kDictMethods), key.str())) return get_attr(obj, key.str());
    }
    return Value::undefined("'dict object' has no attribute " + key.repr());
  }
  if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t n = static_cast<int64_t>(obj.is_list() ? obj.items().size() : py_len(obj));
    int64_t i = key.as_int();
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value::undefined(obj.type_name() + " object has no element " + key.repr());
    if (obj.is_list()) return obj.items()[static_cast<size_t>(i)];
    auto cps = code_points(obj.str());
    return Value(from_code_points(cps, static_cast<size_t>(i), static_cast<size_t>(i) + 1));
  }
  if (key.is_string()) return get_attr(obj, key.str());
  return Value::undefined("'" + obj.type_name() + " object' has no attribute " + key.repr());
}

Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  auto opt_int = [](const Value& v, const char* what) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    if (!v.is_int() && !v.is_bool()) runtime_error(std::string("slice ") + what + " must be an integer or None");
    return v.as_int();
  };
  int64_t st = opt_int(step, "step").value_or(1);
  if (st == 0) runtime_error("slice step cannot be zero");
  std::vector<uint32_t> cps;
  int64_t n;
  if (obj.is_list()) n = static_cast<int64_t>(obj.items().size());
  else if (obj.is_string()) cps = code_points(obj.str()), n = static_cast<int64_t>(cps.size());
  else if (obj.is_undefined()) runtime_error(obj.undefined_hint().empty() ? "cannot slice an undefined value" : obj.undefined_hint());
  else runtime_error("'" + obj.type_name() + "' object is not subscriptable");
  auto clamp = [&](std::optional<int64_t> v, int64_t def) {
    if (!v) return def;
    int64_t x = *v;
    if (x < 0) x += n;
    if (st > 0) return std::clamp<int64_t>(x, 0, n);
    return std::clamp<int64_t>(x, -1, n - 1);
  };
  int64_t b = clamp(opt_int(start, "start"), st > 0 ? 0 : n - 1);
  int64_t e = clamp(opt_int(stop, "stop"), st > 0 ? n : -1);
  List items;
  std::string s;
  for (int64_t i = b; st > 0 ? i < e : i > e; i += st) {
    if (obj.is_list()) items.push_back(obj.items()[static_cast<size_t>(i)]);
    else s += from_code_points(cps, static_cast<size_t>(i), static_cast<size_t>(i) + 1);
  }
  return obj.is_list() ? Value::list(std::move(items)) : Value(std::move(s));
}

}  // namespace hearth::jinja
