// Jinja2's built-in filters and tests, with Python's behaviour for edge cases.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "jinja/runtime.h"

namespace hearth::jinja {
namespace {

std::string ascii_upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return s;
}
std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

// Jinja's attribute= paths: "a.b" and "0" segments.
Value attr_path(const Value& v, const Value& attr) {
  if (!attr.is_string()) return get_item(v, attr);
  Value cur = v;
  const std::string& path = attr.str();
  size_t pos = 0;
  while (true) {
    size_t dot = path.find('.', pos);
    std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
    cur = digits ? get_item(cur, Value(static_cast<int64_t>(std::atoll(part.c_str())))) : get_item(cur, Value(part));
    if (dot == std::string::npos) return cur;
    if (cur.is_undefined()) return cur;
    pos = dot + 1;
  }
}

CallArgs rest_args(const CallArgs& a, size_t from) {
  CallArgs r;
  for (size_t i = from; i < a.pos.size(); ++i) r.pos.push_back(a.pos[i]);
  r.kw = a.kw;
  return r;
}

Value select_like(Runtime& rt, const Value& seq, CallArgs& a, bool by_attr, bool keep) {
  List out;
  if (!seq.truthy()) return Value::list();  // Jinja skips falsy inputs (None included)
  for (const auto& item : iterate(seq)) {
    rt.step();
    Value subject = item;
    size_t next = 0;
    if (by_attr) {
      if (a.pos.empty()) runtime_error("selectattr/rejectattr need an attribute name");
      subject = attr_path(item, a.pos[0]);
      next = 1;
    }
    bool ok;
    if (a.pos.size() <= next) {
      ok = subject.truthy();
    } else {
      if (!a.pos[next].is_string()) runtime_error("test name must be a string");
      CallArgs targs = rest_args(a, next + 1);
      targs.kw.clear();
      ok = rt.test(a.pos[next].str(), subject, targs);
    }
    if (ok == keep) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value do_sort(Runtime& rt, const Value& v, const CallArgs& a) {
  std::vector<Value> items = iterate(v);
  bool reverse = a.get_or(0, "reverse", Value(false)).truthy();
  bool case_sensitive = a.get_or(1, "case_sensitive", Value(false)).truthy();
  Value attr = a.get_or(2, "attribute", Value::none());
  auto key = [&](const Value& x) {
    Value k = attr.is_none() ? x : attr_path(x, attr);
    if (!case_sensitive && k.is_string()) return Value(ascii_lower(k.str()));
    return k;
  };
  if (items.size() > 1'000'000) runtime_error("sort: sequence too long");
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    int c = compare(key(x), key(y));
    return reverse ? c > 0 : c < 0;
  });
  (void)rt;
  return Value::list(std::move(items));
}

std::string indent_text(const std::string& s, const Value& width, bool first, bool blank) {
  std::string pad = width.is_string() ? width.str() : std::string(static_cast<size_t>(std::clamp<int64_t>(width.as_int(), 0, 1000)), ' ');
  std::string out;
  size_t pos = 0;
  bool line_first = true;
  while (true) {
    size_t nl = s.find('\n', pos);
    std::string line = s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    bool add = line_first ? first : (blank || !line.empty());
    if (add && !(line_first && line.empty() && !blank && !first)) out += pad;
    out += line;
    if (nl == std::string::npos) break;
    out += '\n';
    pos = nl + 1;
    line_first = false;
  }
  return out;
}

Value to_int(const Value& v, const Value& def) {
  if (v.is_int()) return v;
  if (v.is_bool()) return Value(v.as_int());
  if (v.is_float()) {
    if (!std::isfinite(v.as_float()) || std::fabs(v.as_float()) > 9e18) return def;
    return Value(static_cast<int64_t>(v.as_float()));
  }
  if (v.is_string()) {
    std::string s = py_strip(v.str(), Value::none(), true, true);
    char* end = nullptr;
    errno = 0;
    long long i = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end && *end == '\0' && errno == 0) return Value(static_cast<int64_t>(i));
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0' && std::isfinite(d) && std::fabs(d) < 9e18) return Value(static_cast<int64_t>(d));
  }
  return def;
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// ---- filters: one function each, found by name in kFilters ----------------------------------
// A filter gets the runtime, the filtered value, its arguments and the name it was called by
// (several names share one function).
using FilterFn = Value (*)(Runtime& rt, const Value& v, CallArgs& a, const std::string& name);

Value f_length(Runtime&, const Value& v, CallArgs&, const std::string&) { return Value(static_cast<int64_t>(py_len(v))); }
Value f_string(Runtime&, const Value& v, CallArgs&, const std::string&) { return v.is_string() ? v : Value(v.to_string()); }

Value f_escape(Runtime&, const Value& v, CallArgs&, const std::string& name) {
  if (name == "safe") return v.is_markup() ? v : Value::markup(v.to_string());
  if (v.is_markup() && name != "forceescape") return v;
  return Value::markup(html_escape(v.to_string()));
}

Value f_trim(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  return Value(py_strip(v.to_string(), a.get_or(0, "chars", Value::none()), true, true));
}
Value f_upper(Runtime&, const Value& v, CallArgs&, const std::string&) { return Value(ascii_upper(v.to_string())); }
Value f_lower(Runtime&, const Value& v, CallArgs&, const std::string&) { return Value(ascii_lower(v.to_string())); }

Value f_capitalize(Runtime&, const Value& v, CallArgs&, const std::string&) {
  std::string s = ascii_lower(v.to_string());
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 32);
  return Value(s);
}

Value f_title(Runtime&, const Value& v, CallArgs&, const std::string&) {
  CallArgs none;
  Value s(v.to_string());
  Value m = get_attr(s, "title");
  return m.fn().fn(none);
}

Value f_default(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  bool boolean = a.get_or(1, "boolean", Value(false)).truthy();
  if (v.is_undefined() || (boolean && !v.truthy())) return a.get_or(0, "default_value", Value(std::string()));
  return v;
}

Value f_tojson(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  JsonStyle st;
  st.ensure_ascii = a.get_or(0, "ensure_ascii", Value(false)).truthy();
  Value indent = a.get_or(1, "indent", Value::none());
  if (indent.is_int()) {
    st.has_indent = true;
    st.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(indent.as_int(), 0, 1000)), ' ');
  } else if (indent.is_string()) {
    st.has_indent = true;
    st.indent = indent.str();
  }
  if (st.has_indent) st.item_sep = ",";
  Value seps = a.get_or(2, "separators", Value::none());
  if (seps.is_list() && seps.items().size() == 2 && seps.items()[0].is_string() && seps.items()[1].is_string()) {
    st.item_sep = seps.items()[0].str();
    st.key_sep = seps.items()[1].str();
  }
  st.sort_keys = a.get_or(3, "sort_keys", Value(false)).truthy();
  return Value(to_json(v, st));
}

Value f_items(Runtime&, const Value& v, CallArgs&, const std::string&) {
  if (v.is_undefined()) return Value::list();
  if (!v.is_mapping()) runtime_error("items filter expects a mapping, got " + v.type_name());
  List out;
  for (const auto& [k, x] : v.entries()) out.push_back(Value::list({k, x}, true));
  return Value::list(std::move(out));
}

Value f_dictsort(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  if (!v.is_mapping()) runtime_error("dictsort expects a mapping, got " + v.type_name());
  bool cs = a.get_or(0, "case_sensitive", Value(false)).truthy();
  Value by = a.get_or(1, "by", Value("key"));
  bool reverse = a.get_or(2, "reverse", Value(false)).truthy();
  size_t idx = by.is_string() && by.str() == "value" ? 1 : 0;
  List out;
  for (const auto& [k, x] : v.entries()) out.push_back(Value::list({k, x}, true));
  std::stable_sort(out.begin(), out.end(), [&](const Value& p, const Value& q) {
    Value x = p.items()[idx], y = q.items()[idx];
    if (!cs && x.is_string() && y.is_string()) x = Value(ascii_lower(x.str())), y = Value(ascii_lower(y.str()));
    int c = compare(x, y);
    return reverse ? c > 0 : c < 0;
  });
  return Value::list(std::move(out));
}

Value f_join(Runtime& rt, const Value& v, CallArgs& a, const std::string&) {
  std::string sep = a.get_or(0, "d", Value(std::string())).to_string();
  Value attr = a.get_or(1, "attribute", Value::none());
  std::string out;
  bool first = true;
  for (const auto& e : iterate(v)) {
    rt.step();
    if (!first) out += sep;
    first = false;
    out += (attr.is_none() ? e : attr_path(e, attr)).to_string();
  }
  return Value(out);
}

Value f_list(Runtime&, const Value& v, CallArgs&, const std::string&) { return Value::list(iterate(v)); }

Value f_first_last(Runtime&, const Value& v, CallArgs&, const std::string& name) {
  auto items = iterate(v);
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return name == "first" ? items.front() : items.back();
}

Value f_reverse(Runtime&, const Value& v, CallArgs&, const std::string&) {
  if (v.is_string()) return slice(v, Value::none(), Value::none(), Value(int64_t{-1}));
  auto items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value f_unique(Runtime& rt, const Value& v, CallArgs& a, const std::string&) {
  bool cs = a.get_or(0, "case_sensitive", Value(false)).truthy();
  Value attr = a.get_or(1, "attribute", Value::none());
  List out, keys;
  for (const auto& e : iterate(v)) {
    rt.step();
    Value k = attr.is_none() ? e : attr_path(e, attr);
    if (!cs && k.is_string()) k = Value(ascii_lower(k.str()));
    bool seen = false;
    for (const auto& s : keys)
      if (s.equals(k)) seen = true;
    if (!seen) keys.push_back(k), out.push_back(e);
  }
  return Value::list(std::move(out));
}

Value f_sort(Runtime& rt, const Value& v, CallArgs& a, const std::string&) { return do_sort(rt, v, a); }

Value f_map(Runtime& rt, const Value& v, CallArgs& a, const std::string&) {
  List out;
  const Value* attr = nullptr;
  for (const auto& [k, x] : a.kw)
    if (k == "attribute") attr = &x;
  if (!v.truthy()) return Value::list();
  for (const auto& e : iterate(v)) {
    rt.step();
    if (attr) {
      Value r = attr_path(e, *attr);
      if (r.is_undefined()) {
        for (const auto& [k, x] : a.kw)
          if (k == "default") r = x;
      }
      out.push_back(r);
    } else {
      if (a.pos.empty() || !a.pos[0].is_string()) runtime_error("map needs a filter name or attribute=");
      CallArgs fa = rest_args(a, 1);
      out.push_back(rt.filter(a.pos[0].str(), e, fa));
    }
  }
  return Value::list(std::move(out));
}

Value f_select(Runtime& rt, const Value& v, CallArgs& a, const std::string& name) {
  const bool by_attr = name == "selectattr" || name == "rejectattr";
  const bool keep = name == "select" || name == "selectattr";
  return select_like(rt, v, a, by_attr, keep);
}

Value f_replace(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  Value s(v.to_string());
  Value m = get_attr(s, "replace");
  CallArgs ra;
  ra.pos = {Value(a.get_or(0, "old", Value("")).to_string()), Value(a.get_or(1, "new", Value("")).to_string())};
  if (const Value* c = a.get(2, "count")) ra.pos.push_back(*c);
  return m.fn().fn(ra);
}

Value f_int(Runtime&, const Value& v, CallArgs& a, const std::string&) { return to_int(v, a.get_or(0, "default", Value(int64_t{0}))); }

Value f_float(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  if (v.is_number()) return Value(v.to_double());
  if (v.is_string()) {
    std::string s = py_strip(v.str(), Value::none(), true, true);
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0') return Value(d);
  }
  return a.get_or(0, "default", Value(0.0));
}

Value f_abs(Runtime&, const Value& v, CallArgs&, const std::string&) {
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_int() || v.is_bool()) {
    if (v.as_int() == INT64_MIN) runtime_error("integer overflow");
    return Value(static_cast<int64_t>(std::llabs(v.as_int())));
  }
  runtime_error("bad operand type for abs(): '" + v.type_name() + "'");
}

Value f_round(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  if (!v.is_number()) runtime_error("round expects a number");
  int64_t prec = a.get_or(0, "precision", Value(int64_t{0})).as_int();
  std::string method = a.get_or(1, "method", Value("common")).to_string();
  double f = std::pow(10.0, static_cast<double>(std::clamp<int64_t>(prec, -300, 300)));
  double x = v.to_double() * f;
  x = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
  return Value(x / f);
}

Value f_sum(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  Value attr = a.get_or(0, "attribute", Value::none());
  Value total = a.get_or(1, "start", Value(int64_t{0}));
  for (const auto& e : iterate(v)) {
    Value x = attr.is_none() ? e : attr_path(e, attr);
    if (!x.is_number() || !total.is_number()) runtime_error("sum of non-numbers");
    if (x.is_float() || total.is_float()) total = Value(total.to_double() + x.to_double());
    else total = Value(total.as_int() + x.as_int());
  }
  return total;
}

Value f_min_max(Runtime&, const Value& v, CallArgs& a, const std::string& name) {
  auto items = iterate(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  Value attr = a.get_or(1, "attribute", Value::none());
  Value best = items[0];
  for (const auto& e : items) {
    Value x = attr.is_none() ? e : attr_path(e, attr), y = attr.is_none() ? best : attr_path(best, attr);
    int c = compare(x, y);
    if (name == "min" ? c < 0 : c > 0) best = e;
  }
  return best;
}

Value f_indent(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  Value width = a.get_or(0, "width", Value(int64_t{4}));
  bool first = a.get_or(1, "first", Value(false)).truthy();
  bool blank = a.get_or(2, "blank", Value(false)).truthy();
  return Value(indent_text(v.to_string(), width, first, blank));
}

Value f_wordcount(Runtime&, const Value& v, CallArgs&, const std::string&) {
  CallArgs none;
  return Value(static_cast<int64_t>(get_attr(Value(v.to_string()), "split").fn().fn(none).items().size()));
}

Value f_center(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  int64_t w = a.get_or(0, "width", Value(int64_t{80})).as_int();
  std::string s = v.to_string();
  int64_t n = static_cast<int64_t>(py_len(Value(s)));
  if (w <= n) return Value(s);
  w = std::min<int64_t>(w, 1 << 20);
  int64_t left = (w - n) / 2 + ((w - n) & w & 1);
  return Value(std::string(static_cast<size_t>(left), ' ') + s + std::string(static_cast<size_t>(w - n - left), ' '));
}

Value f_batch_slice(Runtime&, const Value& v, CallArgs& a, const std::string& name) {
  int64_t n = a.get_or(0, name == "batch" ? "linecount" : "slices", Value(int64_t{1})).as_int();
  if (n <= 0) runtime_error(name + " size must be positive");
  auto items = iterate(v);
  List out;
  if (name == "batch") {
    for (size_t i = 0; i < items.size(); i += static_cast<size_t>(n))
      out.push_back(Value::list(List(items.begin() + static_cast<long>(i),
                                     items.begin() + static_cast<long>(std::min(items.size(), i + static_cast<size_t>(n))))));
    return Value::list(std::move(out));
  }
  size_t per = items.size() / static_cast<size_t>(n), extra = items.size() % static_cast<size_t>(n), off = 0;
  for (int64_t k = 0; k < n; ++k) {
    size_t len = per + (static_cast<size_t>(k) < extra ? 1 : 0);
    out.push_back(Value::list(List(items.begin() + static_cast<long>(off), items.begin() + static_cast<long>(off + len))));
    off += len;
  }
  return Value::list(std::move(out));
}

Value f_truncate(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  std::string s = v.to_string();
  int64_t len = a.get_or(0, "length", Value(int64_t{255})).as_int();
  auto cps = code_points(s);
  if (static_cast<int64_t>(cps.size()) <= len) return Value(s);
  std::string end = a.get_or(2, "end", Value("...")).to_string();
  int64_t keep = std::max<int64_t>(0, len - static_cast<int64_t>(py_len(Value(end))));
  return Value(from_code_points(cps, 0, static_cast<size_t>(keep)) + end);
}

Value f_attr(Runtime&, const Value& v, CallArgs& a, const std::string&) {
  return get_attr(v, a.get_or(0, "name", Value("")).to_string());
}

// The registration list: every filter name and its function.
const std::pair<std::string_view, FilterFn> kFilters[] = {
    {"length", f_length},     {"count", f_length},       {"string", f_string},
    {"safe", f_escape},       {"escape", f_escape},      {"e", f_escape},
    {"forceescape", f_escape}, {"trim", f_trim},         {"upper", f_upper},
    {"lower", f_lower},       {"capitalize", f_capitalize}, {"title", f_title},
    {"default", f_default},   {"d", f_default},          {"tojson", f_tojson},
    {"items", f_items},       {"dictsort", f_dictsort},  {"join", f_join},
    {"list", f_list},         {"first", f_first_last},   {"last", f_first_last},
    {"reverse", f_reverse},   {"unique", f_unique},      {"sort", f_sort},
    {"map", f_map},           {"select", f_select},      {"reject", f_select},
    {"selectattr", f_select}, {"rejectattr", f_select},  {"replace", f_replace},
    {"int", f_int},           {"float", f_float},        {"abs", f_abs},
    {"round", f_round},       {"sum", f_sum},            {"min", f_min_max},
    {"max", f_min_max},       {"indent", f_indent},      {"wordcount", f_wordcount},
    {"center", f_center},     {"batch", f_batch_slice},  {"slice", f_batch_slice},
    {"truncate", f_truncate}, {"attr", f_attr},
};

}  // namespace

Value builtin_filter(Runtime& rt, const std::string& name, const Value& v, CallArgs& a, bool& found) {
  for (const auto& [n, fn] : kFilters)
    if (n == name) {
      found = true;
      return fn(rt, v, a, name);
    }
  found = false;
  return Value();
}

bool builtin_test(Runtime& rt, const std::string& name, const Value& v, CallArgs& a, bool& found) {
  found = true;
  const Value arg = a.get_or(0, "other", Value());
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "iterable") return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
  if (name == "sequence") return v.is_list() || v.is_dict() || v.is_string() || v.is_undefined();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "callable") return v.is_function();
  if (name == "odd" || name == "even") {
    if (!v.is_int() && !v.is_bool()) runtime_error(name + " test expects an integer");
    int64_t r = v.as_int() % 2;
    return name == "odd" ? r != 0 : r == 0;
  }
  if (name == "divisibleby") {
    if (!v.is_int() || !arg.is_int()) runtime_error("divisibleby expects integers");
    if (arg.as_int() == 0) runtime_error("integer division or modulo by zero");
    return v.as_int() % arg.as_int() == 0;
  }
  if (name == "eq" || name == "equalto" || name == "==") return v.equals(arg);
  if (name == "ne" || name == "!=") return !v.equals(arg);
  if (name == "lt" || name == "lessthan" || name == "<") return compare(v, arg) < 0;
  if (name == "le" || name == "<=") return compare(v, arg) <= 0;
  if (name == "gt" || name == "greaterthan" || name == ">") return compare(v, arg) > 0;
  if (name == "ge" || name == ">=") return compare(v, arg) >= 0;
  if (name == "sameas") {
    if (v.is_none() || v.is_bool() || v.is_undefined()) return v.kind() == arg.kind() && v.equals(arg);
    return v.equals(arg) && v.kind() == arg.kind();
  }
  if (name == "in") {
    if (arg.is_string()) return v.is_string() && arg.str().find(v.str()) != std::string::npos;
    if (arg.is_mapping()) return arg.find(v) != nullptr;
    for (const auto& e : iterate(arg))
      if (e.equals(v)) return true;
    return false;
  }
  if (name == "lower" || name == "upper") {
    if (!v.is_string()) return false;
    return name == "lower" ? v.str() == ascii_lower(v.str()) : v.str() == ascii_upper(v.str());
  }
  (void)rt;
  found = false;
  return false;
}

}  // namespace hearth::jinja
