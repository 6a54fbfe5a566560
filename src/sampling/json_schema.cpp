// JSON Schema -> GBNF text. Each schema node becomes a GBNF expression; objects, $refs and the
// shared primitives (string, number, ...) become named rules so the grammar stays readable.
#include "sampling/json_schema.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "core/error.h"
#include "core/utf8.h"
#include "sampling/grammar.h"

namespace hearth::sampling {

namespace {

struct Primitive {
  const char* body;
  std::vector<const char*> deps;
};

const std::map<std::string, Primitive>& primitives() {
  static const std::map<std::string, Primitive> p = {
      {"space", {R"(| " " | "\n" [ \t]{0,20})", {}}},
      {"boolean", {R"(("true" | "false") space)", {"space"}}},
      {"null", {R"("null" space)", {"space"}}},
      {"integral-part", {R"([0] | [1-9] [0-9]{0,15})", {}}},
      {"decimal-part", {R"([0-9]{1,16})", {}}},
      {"number", {R"(("-"? integral-part) ("." decimal-part)? ([eE] [-+]? integral-part)? space)",
                  {"integral-part", "decimal-part", "space"}}},
      {"integer", {R"(("-"? integral-part) space)", {"integral-part", "space"}}},
      {"char", {R"([^"\\\x7F\x00-\x1F] | [\\] (["\\bfnrt] | "u" [0-9a-fA-F]{4}))", {}}},
      {"string", {R"("\"" char* "\"" space)", {"char", "space"}}},
      {"value", {"object | array | string | number | boolean | null",
                 {"object", "array", "string", "number", "boolean", "null"}}},
      {"object", {R"("{" space ( string ":" space value ("," space string ":" space value)* )? "}" space)",
                  {"string", "value", "space"}}},
      {"array", {R"("[" space ( value ("," space value)* )? "]" space)", {"value", "space"}}},
      {"uuid", {R"("\"" [0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12} "\"" space)",
                {"space"}}},
      {"date", {R"([0-9]{4} "-" ( "0" [1-9] | "1" [0-2] ) "-" ( "0" [1-9] | [1-2] [0-9] | "3" [0-1] ))", {}}},
      {"time", {R"(([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{3} )? ( "Z" | ( "+" | "-" ) ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ))",
                {}}},
      {"date-time", {R"(date "T" time)", {"date", "time"}}},
      {"date-string", {R"("\"" date "\"" space)", {"date", "space"}}},
      {"time-string", {R"("\"" time "\"" space)", {"time", "space"}}},
      {"date-time-string", {R"("\"" date-time "\"" space)", {"date-time", "space"}}},
  };
  return p;
}

const std::set<std::string>& annotations() {
  static const std::set<std::string> a = {"title", "description", "default", "examples", "$schema", "$id",
                                          "$comment", "deprecated", "readOnly", "writeOnly"};
  return a;
}
const std::set<std::string>& keywords() {
  static const std::set<std::string> k = {"type", "enum", "const", "properties", "required", "additionalProperties",
                                          "items", "prefixItems", "minItems", "maxItems", "anyOf", "oneOf", "allOf",
                                          "$ref", "$defs", "definitions", "minLength", "maxLength", "pattern",
                                          "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"};
  return k;
}

// A GBNF string literal for raw bytes.
std::string literal(const std::string& s) {
  static const char* hexd = "0123456789ABCDEF";
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) out += std::string("\\x") + hexd[c >> 4] + hexd[c & 15];
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A value as Python's json.dumps writes it (", " and ": " separators, non-ASCII escaped): the
// text `const` and `enum` values must match.
std::string py_dumps(const ordered_json& v) {
  switch (v.type()) {
    case ordered_json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, x] : v.items()) {
        out += (first ? "" : ", ") + py_dumps(ordered_json(k)) + ": " + py_dumps(x);
        first = false;
      }
      return out + "}";
    }
    case ordered_json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + py_dumps(v[i]);
      return out + "]";
    }
    case ordered_json::value_t::string: {
      std::string out;
      utf8::append_python_json_string(out, v.get_ref<const std::string&>(), true);
      return out;
    }
    case ordered_json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case ordered_json::value_t::null: return "null";
    default: return v.dump();
  }
}

int digits(uint64_t v) {
  int d = 1;
  while (v >= 10) { v /= 10; ++d; }
  return d;
}

// Same-length decimal strings from lo to hi (digit by digit).
std::string fixed_range(const std::string& lo, const std::string& hi) {
  if (lo.empty()) return "";
  const size_t rest = lo.size() - 1;
  auto tail = [&](const std::string& s) { return s.substr(1); };
  auto any_digits = [&](size_t n) { return n == 0 ? std::string() : n == 1 ? " [0-9]" : " [0-9]{" + std::to_string(n) + "}"; };
  auto cls = [](char a, char b) { return a == b ? std::string("[") + a + "]" : std::string("[") + a + "-" + b + "]"; };
  if (lo[0] == hi[0]) {
    std::string t = fixed_range(tail(lo), tail(hi));
    return cls(lo[0], lo[0]) + (t.empty() ? "" : " " + t);
  }
  const bool lo_all0 = tail(lo) == std::string(rest, '0'), hi_all9 = tail(hi) == std::string(rest, '9');
  std::vector<std::string> alts;
  char mid_lo = static_cast<char>(lo[0] + 1), mid_hi = static_cast<char>(hi[0] - 1);
  if (lo_all0) mid_lo = lo[0];
  else alts.push_back(cls(lo[0], lo[0]) + " (" + fixed_range(tail(lo), std::string(rest, '9')) + ")");
  if (hi_all9) mid_hi = hi[0];
  if (mid_lo <= mid_hi) alts.push_back(cls(mid_lo, mid_hi) + any_digits(rest));
  if (!hi_all9) alts.push_back(cls(hi[0], hi[0]) + " (" + fixed_range(std::string(rest, '0'), tail(hi)) + ")");
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
  return out + ")";
}

// Decimal numbers without leading zeros in [lo, hi]; no hi: up to 16 digits.
std::string magnitude_range(uint64_t lo, std::optional<uint64_t> hi) {
  std::vector<std::string> alts;
  const int dmax = hi ? digits(*hi) : 16;
  for (int d = digits(lo); d <= dmax; ++d) {
    uint64_t first = d == 1 ? 0 : 1;
    for (int k = 1; k < d; ++k) first *= 10;
    uint64_t last = 9;
    for (int k = 1; k < d; ++k) last = last * 10 + 9;
    const uint64_t a = std::max(lo, first), b = hi ? std::min(*hi, last) : last;
    if (a > b) continue;
    if (!hi && a == first && d > digits(lo)) {  // every longer length at once
      alts.push_back(d == 16 ? "[1-9] [0-9]{15}" : "[1-9] [0-9]{" + std::to_string(d - 1) + ",15}");
      break;
    }
    alts.push_back(fixed_range(std::to_string(a), std::to_string(b)));
  }
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
  return out + ")";
}

class Converter {
 public:
  Converter(const ordered_json& root, std::string root_name) : root_(root), root_name_(std::move(root_name)) {}

  std::string run() {
    // An embedded grammar's rules are all prefixed with its root name, so several conversions can
    // share one grammar (only the primitives, which are identical, repeat).
    const std::string body = visit(root_, root_name_, "");
    std::string out;
    if (body != root_name_) out = root_name_ + " ::= " + body + "\n";
    for (const auto& [name, b] : rules_)
      if (name != root_name_ || body == root_name_) out += name + " ::= " + b + "\n";
    return out;
  }

 private:
  [[noreturn]] static void bad(const std::string& where, const std::string& what) {
    fail(Errc::invalid_argument, "json schema: at " + (where.empty() ? std::string("/") : where) + ": " + what);
  }

  std::string prim(const std::string& name) {
    if (rules_.count(name)) return name;
    const Primitive& p = primitives().at(name);
    rules_[name] = p.body;
    for (const char* d : p.deps) prim(d);
    return name;
  }

  static std::string sanitize(const std::string& s) {
    std::string out;
    for (char c : s) out += ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '-';
    return out.empty() ? "x" : out;
  }
  // A new rule with this body; the name is made unique unless the same body is already there.
  std::string add_rule(const std::string& want, const std::string& body) {
    std::string name = sanitize(want);
    for (int n = 1; rules_.count(name) || primitives().count(name); ++n) {
      if (rules_.count(name) && rules_[name] == body) return name;
      name = sanitize(want) + std::to_string(n);
    }
    rules_[name] = body;
    return name;
  }
  std::string child(const std::string& name, const std::string& part) const {
    return name == "root" ? part : name + "-" + part;
  }

  const ordered_json& resolve(const std::string& ref, const std::string& where) const {
    if (ref == "#") return root_;
    if (ref.rfind("#/", 0) != 0) bad(where, "$ref '" + ref + "' is not a local reference (#/...)");
    try {
      return root_.at(ordered_json::json_pointer(ref.substr(1)));
    } catch (const std::exception&) {
      bad(where, "$ref '" + ref + "' points to nothing");
    }
  }

  std::string visit(const ordered_json& s, const std::string& name, const std::string& where) {
    if (s.is_boolean()) {
      if (!s.get<bool>()) bad(where, "the schema false matches nothing");
      return prim("value");
    }
    if (!s.is_object()) bad(where, "a schema must be an object or a boolean");
    for (const auto& [k, v] : s.items())
      if (!keywords().count(k) && !annotations().count(k)) bad(where, "unsupported keyword '" + k + "'");

    if (s.contains("$ref")) {
      if (!s["$ref"].is_string()) bad(where + "/$ref", "must be a string");
      const std::string ref = s["$ref"];
      if (ref == "#") return root_name_;
      if (auto it = refs_.find(ref); it != refs_.end()) return it->second;
      const ordered_json& target = resolve(ref, where);
      const std::string base = sanitize(child(root_name_, ref.substr(ref.rfind('/') + 1)));
      std::string rname = base;
      for (int n = 1; rules_.count(rname) || primitives().count(rname) || rname == "root" || rname == root_name_; ++n)
        rname = base + std::to_string(n);
      refs_[ref] = rname;
      rules_[rname] = "";  // reserved: a recursive schema refers to itself by this name
      rules_[rname] = visit(target, rname, ref.substr(1));
      return rname;
    }
    if (s.contains("const")) return literal(py_dumps(s["const"])) + " " + prim("space");
    if (s.contains("enum")) {
      if (!s["enum"].is_array() || s["enum"].empty()) bad(where + "/enum", "must be a non-empty array");
      std::string out = "(";
      for (size_t i = 0; i < s["enum"].size(); ++i) out += (i ? " | " : "") + literal(py_dumps(s["enum"][i]));
      return out + ") " + prim("space");
    }
    for (const char* key : {"anyOf", "oneOf"})
      if (s.contains(key)) {
        const auto& alts = s[key];
        if (!alts.is_array() || alts.empty()) bad(where + "/" + key, "must be a non-empty array");
        std::string out = "(";
        for (size_t i = 0; i < alts.size(); ++i)
          out += (i ? " | " : "") + visit(alts[i], child(name, std::to_string(i)), where + "/" + key + "/" + std::to_string(i));
        return out + ")";
      }
    if (s.contains("allOf")) return visit_all_of(s, name, where);

    if (s.contains("type") && s["type"].is_array()) {
      if (s["type"].empty()) bad(where + "/type", "an empty list of types matches nothing");
      std::string out = "(";
      for (size_t i = 0; i < s["type"].size(); ++i) {
        ordered_json one = s;
        one["type"] = s["type"][i];
        out += (i ? " | " : "") + visit(one, name, where);
      }
      return out + ")";
    }
    std::string type;
    if (s.contains("type")) {
      if (!s["type"].is_string()) bad(where + "/type", "must be a string or a list of strings");
      type = s["type"];
    } else if (s.contains("properties") || s.contains("additionalProperties")) {
      type = "object";
    } else if (s.contains("items") || s.contains("prefixItems")) {
      type = "array";
    } else if (s.contains("pattern") || s.contains("format") || s.contains("minLength") || s.contains("maxLength")) {
      type = "string";
    }
    if (type.empty()) return prim("value");
    if (type == "object") return visit_object(s, name, where);
    if (type == "array") return visit_array(s, name, where);
    if (type == "string") return visit_string(s, where);
    if (type == "integer") return visit_integer(s, where);
    if (type == "number") {
      for (const char* k : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
        if (s.contains(k)) bad(where, std::string("'") + k + "' on a number is not supported (only on integers)");
      return prim("number");
    }
    if (type == "boolean") return prim("boolean");
    if (type == "null") return prim("null");
    bad(where + "/type", "unknown type '" + type + "'");
  }

  std::string visit_all_of(const ordered_json& s, const std::string& name, const std::string& where) {
    if (!s["allOf"].is_array() || s["allOf"].empty()) bad(where + "/allOf", "must be a non-empty array");
    ordered_json merged = {{"type", "object"}, {"properties", ordered_json::object()}, {"required", ordered_json::array()}};
    for (size_t i = 0; i < s["allOf"].size(); ++i) {
      const std::string at = where + "/allOf/" + std::to_string(i);
      const ordered_json* part = &s["allOf"][i];
      if (part->is_object() && part->contains("$ref") && (*part)["$ref"].is_string()) part = &resolve((*part)["$ref"], at);
      if (!part->is_object() || !part->contains("properties"))
        bad(at, "allOf is supported only for object schemas with properties");
      for (const auto& [k, v] : (*part)["properties"].items()) merged["properties"][k] = v;
      if (part->contains("required"))
        for (const auto& r : (*part)["required"]) merged["required"].push_back(r);
    }
    return visit_object(merged, name, where);
  }

  // A JSON string that is none of `keys` (the keys of additional properties). The construction
  // (and its quirk: a proper prefix of a key is refused too) follows llama.cpp's.
  std::string not_keys(const std::vector<std::string>& keys) {
    struct Node {
      std::map<char, Node> kids;
      bool end = false;
    } trie;
    for (const auto& k : keys) {
      Node* n = &trie;
      for (char c : k) n = &n->kids[c];
      n->end = true;
    }
    const std::string ch = prim("char");
    auto byte_class = [](char c) {
      std::string s(1, c);
      if (c == ']' || c == '\\' || c == '[' || c == '^' || c == '-' || static_cast<unsigned char>(c) < 0x20) {
        static const char* hexd = "0123456789ABCDEF";
        s = std::string("\\x") + hexd[static_cast<unsigned char>(c) >> 4] + hexd[c & 15];
      }
      return s;
    };
    std::function<std::string(const Node&)> walk = [&](const Node& n) {
      std::string out, rejects;
      for (const auto& [c, kid] : n.kids) {
        if (!out.empty()) out += " | ";
        out += "[" + byte_class(c) + "]";
        if (!kid.kids.empty()) out += " (" + walk(kid) + ")";
        else if (kid.end) out += " " + ch + "+";
        rejects += byte_class(c);
      }
      if (!n.kids.empty()) out += (out.empty() ? "" : " | ") + std::string("[^\"") + rejects + "] " + ch + "*";
      return out;
    };
    return "[\"] ( " + walk(trie) + " )" + (trie.end ? "" : "?") + " [\"] " + prim("space");
  }

  std::string visit_object(const ordered_json& s, const std::string& name, const std::string& where) {
    const bool has_props = s.contains("properties");
    const bool has_add = s.contains("additionalProperties");
    if (!has_props && (!has_add || (s["additionalProperties"].is_boolean() && s["additionalProperties"].get<bool>())))
      return prim("object");
    std::set<std::string> required;
    if (s.contains("required")) {
      if (!s["required"].is_array()) bad(where + "/required", "must be an array of strings");
      for (const auto& r : s["required"]) {
        if (!r.is_string()) bad(where + "/required", "must be an array of strings");
        required.insert(r.get<std::string>());
      }
    }
    struct Kv {
      std::string key, rule;
    };
    std::vector<Kv> req, opt;
    std::vector<std::string> names;
    if (has_props) {
      if (!s["properties"].is_object()) bad(where + "/properties", "must be an object");
      for (const auto& [k, v] : s["properties"].items()) {
        const std::string value = visit(v, child(name, k), where + "/properties/" + k);
        const std::string body = literal(py_dumps(ordered_json(k))) + " " + prim("space") + " \":\" space " + value;
        Kv kv{k, add_rule(child(name, k) + "-kv", body)};
        (required.count(k) ? req : opt).push_back(kv);
        names.push_back(k);
      }
    }
    bool additional = false;
    if (has_add) {
      const auto& a = s["additionalProperties"];
      if (!(a.is_boolean() && !a.get<bool>())) {
        const std::string value = a.is_boolean() ? prim("value") : visit(a, child(name, "additional"), where + "/additionalProperties");
        const std::string key = names.empty() ? prim("string") : add_rule(child(name, "additional-k"), not_keys(names));
        opt.push_back({"", add_rule(child(name, "additional-kv"), key + " \":\" space " + value)});
        additional = true;
      }
    }
    // Optional members: any in-order selection, each `rest` rule offering the later ones.
    std::function<std::string(size_t)> chain = [&](size_t from) {
      std::string out;
      for (size_t j = from; j < opt.size(); ++j) {
        if (j > from) out += " | ";
        out += opt[j].rule;
        const bool is_add = additional && j + 1 == opt.size();
        if (is_add) out += " ( \",\" space " + opt[j].rule + " )*";
        if (j + 1 < opt.size())
          out += " " + add_rule(child(name, opt[j].key) + "-rest", "( \",\" space ( " + chain(j + 1) + " ) )?");
      }
      return out;
    };
    std::string body = "\"{\" " + prim("space");
    for (size_t i = 0; i < req.size(); ++i) body += (i ? " \",\" space " : " ") + req[i].rule;
    if (!opt.empty()) body += req.empty() ? " ( " + chain(0) + " )?" : " ( \",\" space ( " + chain(0) + " ) )?";
    body += " \"}\" space";
    return name == "root" ? body : add_rule(name, body);
  }

  std::string visit_array(const ordered_json& s, const std::string& name, const std::string& where) {
    prim("space");
    if (s.contains("prefixItems")) {
      const auto& items = s["prefixItems"];
      if (!items.is_array()) bad(where + "/prefixItems", "must be an array");
      std::string body = "\"[\" space";
      for (size_t i = 0; i < items.size(); ++i)
        body += (i ? " \",\" space " : " ") + visit(items[i], child(name, "tuple-" + std::to_string(i)),
                                                    where + "/prefixItems/" + std::to_string(i));
      return body + " \"]\" space";
    }
    const std::string item = s.contains("items") ? visit(s["items"], child(name, "item"), where + "/items") : prim("value");
    auto count = [&](const char* k) -> std::optional<uint64_t> {
      if (!s.contains(k)) return std::nullopt;
      if (!s[k].is_number_unsigned()) bad(where + "/" + k, "must be a non-negative integer");
      return s[k].get<uint64_t>();
    };
    const uint64_t min = count("minItems").value_or(0);
    const std::optional<uint64_t> max = count("maxItems");
    if (max && *max < min) bad(where, "maxItems is below minItems");
    if (min > 1000 || (max && *max > 1000)) bad(where, "minItems/maxItems above 1000 are not supported");
    std::string list;
    if (max && *max == 0) {
      list = "";
    } else {
      std::string more = "(\",\" space " + item + ")";
      const uint64_t lo = min ? min - 1 : 0;
      if (max) more += "{" + std::to_string(lo) + "," + std::to_string(*max - 1) + "}";
      else if (lo == 0) more += "*";
      else more += "{" + std::to_string(lo) + ",}";
      list = item + " " + more;
      if (min == 0) list = "( " + list + " )?";
    }
    return "\"[\" space " + (list.empty() ? "" : list + " ") + "\"]\" space";
  }

  std::string visit_string(const ordered_json& s, const std::string& where) {
    if (s.contains("pattern")) {
      if (!s["pattern"].is_string()) bad(where + "/pattern", "must be a string");
      return "\"\\\"\" " + pattern(s["pattern"], where + "/pattern") + " \"\\\"\" " + prim("space");
    }
    if (s.contains("format")) {
      const std::string f = s["format"].is_string() ? s["format"].get<std::string>() : "";
      if (f == "uuid") return prim("uuid");
      if (f == "date" || f == "time" || f == "date-time") return prim(f + "-string");
      bad(where + "/format", "format '" + f + "' is not supported (date, time, date-time, uuid are)");
    }
    auto len = [&](const char* k) -> std::optional<uint64_t> {
      if (!s.contains(k)) return std::nullopt;
      if (!s[k].is_number_unsigned()) bad(where + "/" + k, "must be a non-negative integer");
      if (s[k].get<uint64_t>() > 10000) bad(where + "/" + k, "lengths above 10000 are not supported");
      return s[k].get<uint64_t>();
    };
    const auto lo = len("minLength"), hi = len("maxLength");
    if (!lo && !hi) return prim("string");
    if (lo && hi && *hi < *lo) bad(where, "maxLength is below minLength");
    const std::string ch = prim("char");
    std::string rep = "{" + std::to_string(lo.value_or(0)) + "," + (hi ? std::to_string(*hi) : "") + "}";
    return "\"\\\"\" " + ch + rep + " \"\\\"\" " + prim("space");
  }

  std::string visit_integer(const ordered_json& s, const std::string& where) {
    auto bound = [&](const char* k) -> std::optional<int64_t> {
      if (!s.contains(k)) return std::nullopt;
      if (!s[k].is_number()) bad(where + "/" + k, "must be a number");
      const double d = s[k].get<double>();
      if (d < -1e15 || d > 1e15) bad(where + "/" + k, "bounds beyond 16 digits are not supported");
      return static_cast<int64_t>(d);
    };
    std::optional<int64_t> lo = bound("minimum"), hi = bound("maximum");
    if (auto x = bound("exclusiveMinimum")) lo = lo ? std::max(*lo, *x + 1) : *x + 1;
    if (auto x = bound("exclusiveMaximum")) hi = hi ? std::min(*hi, *x - 1) : *x - 1;
    if (!lo && !hi) return prim("integer");
    if (lo && hi && *hi < *lo) bad(where, "the integer range is empty");
    std::vector<std::string> alts;
    auto neg = [&](uint64_t a, std::optional<uint64_t> b) { alts.push_back("\"-\" " + magnitude_range(a, b)); };
    auto pos = [&](uint64_t a, std::optional<uint64_t> b) { alts.push_back(magnitude_range(a, b)); };
    // Negative numbers are "-" and a magnitude; as in llama.cpp, "-0" counts as zero.
    if (lo && *lo >= 0) {
      pos(static_cast<uint64_t>(*lo), hi ? std::optional<uint64_t>(static_cast<uint64_t>(*hi)) : std::nullopt);
    } else if (hi && *hi < 0) {
      neg(static_cast<uint64_t>(-*hi), lo ? std::optional<uint64_t>(static_cast<uint64_t>(-*lo)) : std::nullopt);
    } else {
      neg(0, lo ? std::optional<uint64_t>(static_cast<uint64_t>(-*lo)) : std::nullopt);
      pos(0, hi ? std::optional<uint64_t>(static_cast<uint64_t>(*hi)) : std::nullopt);
    }
    std::string out = "(";
    for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
    return out + ") " + prim("space");
  }

  // An anchored regular expression (^...$) -> a GBNF expression over the string's characters.
  std::string pattern(const std::string& re, const std::string& where) {
    if (re.size() < 2 || re.front() != '^' || re.back() != '$')
      bad(where, "pattern must be anchored with ^ and $ (got '" + re + "')");
    Regex r{re.substr(1, re.size() - 2), 0, where};
    std::string out = regex_alternatives(r);
    if (r.i != r.s.size()) bad(where, "unbalanced ) in pattern");
    return "(" + out + ")";
  }

  struct Regex {
    std::string s;
    size_t i;
    std::string where;
  };

  static std::string escape_class_char(uint32_t c) {
    static const char* hexd = "0123456789ABCDEF";
    if (c < 0x80 && !(std::isalnum(static_cast<int>(c)) || c == ' ' || c == '_' || c == '.' || c == ','))
      return std::string("\\x") + hexd[c >> 4] + hexd[c & 15];
    std::string out;
    utf8::append(out, c);
    return out;
  }
  // \d \w \s (and their negations) as class contents; empty when `e` is not one of them.
  static std::string shorthand(char e) {
    switch (e) {
      case 'd': case 'D': return "0-9";
      case 'w': case 'W': return "0-9A-Za-z_";
      case 's': case 'S': return " \\t\\n\\r\\x0B\\x0C";
      default: return "";
    }
  }

  std::string regex_alternatives(Regex& r) {
    std::vector<std::string> alts{regex_sequence(r)};
    while (r.i < r.s.size() && r.s[r.i] == '|') {
      ++r.i;
      alts.push_back(regex_sequence(r));
    }
    if (alts.size() == 1) return alts[0];
    std::string out;
    for (size_t k = 0; k < alts.size(); ++k) out += (k ? " | " : "") + alts[k];
    return out;
  }

  std::string regex_sequence(Regex& r) {
    std::string out;
    while (r.i < r.s.size() && r.s[r.i] != '|' && r.s[r.i] != ')') {
      std::string atom;
      const char c = r.s[r.i];
      if (c == '(') {
        ++r.i;
        if (r.s.compare(r.i, 2, "?:") == 0) r.i += 2;
        else if (r.i < r.s.size() && r.s[r.i] == '?') bad(r.where, "lookarounds and named groups are not supported in patterns");
        atom = "(" + regex_alternatives(r) + ")";
        if (r.i >= r.s.size() || r.s[r.i] != ')') bad(r.where, "unclosed ( in pattern");
        ++r.i;
      } else if (c == '[') {
        atom = regex_class(r);
      } else if (c == '.') {
        ++r.i;
        atom = "[^\\x0A\\x0D]";
      } else if (c == '\\') {
        if (r.i + 1 >= r.s.size()) bad(r.where, "pattern ends with a backslash");
        const char e = r.s[r.i + 1];
        r.i += 2;
        if (!shorthand(e).empty()) atom = std::string(std::isupper(static_cast<unsigned char>(e)) ? "[^" : "[") + shorthand(e) + "]";
        else if (std::isalnum(static_cast<unsigned char>(e))) bad(r.where, std::string("escape \\") + e + " is not supported in patterns");
        else atom = literal(std::string(1, e));
      } else if (c == '^' || c == '$') {
        bad(r.where, "^ and $ are supported only at the ends of a pattern");
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        bad(r.where, std::string("nothing to repeat before '") + c + "' in pattern");
      } else {
        uint32_t cp = 0;
        int n = utf8::decode_strict(r.s, r.i, &cp);
        if (n <= 0) bad(r.where, "invalid UTF-8 in pattern");
        atom = literal(r.s.substr(r.i, static_cast<size_t>(n)));
        r.i += static_cast<size_t>(n);
      }
      // Quantifier.
      if (r.i < r.s.size()) {
        const char q = r.s[r.i];
        if (q == '*' || q == '+' || q == '?') {
          atom += q;
          ++r.i;
        } else if (q == '{') {
          size_t close = r.s.find('}', r.i);
          if (close == std::string::npos) bad(r.where, "unclosed { in pattern");
          const std::string body = r.s.substr(r.i + 1, close - r.i - 1);
          if (body.empty() || body.find_first_not_of("0123456789,") != std::string::npos)
            bad(r.where, "bad repetition {" + body + "} in pattern");
          atom += "{" + body + "}";
          r.i = close + 1;
        }
        if (r.i < r.s.size() && (r.s[r.i] == '?' || r.s[r.i] == '+') && atom.back() != ')' && atom.back() != ']' &&
            atom.back() != '"')
          bad(r.where, "lazy and possessive quantifiers are not supported in patterns");
      }
      out += (out.empty() ? "" : " ") + atom;
    }
    return out.empty() ? "\"\"" : out;
  }

  std::string regex_class(Regex& r) {
    const size_t start = r.i++;
    std::string out = "[";
    if (r.i < r.s.size() && r.s[r.i] == '^') { out += '^'; ++r.i; }
    bool first = true;
    while (r.i < r.s.size() && (r.s[r.i] != ']' || first)) {
      first = false;
      if (r.s[r.i] == '\\') {
        if (r.i + 1 >= r.s.size()) break;
        const char e = r.s[r.i + 1];
        r.i += 2;
        if (!shorthand(e).empty()) {
          if (std::isupper(static_cast<unsigned char>(e))) bad(r.where, "negated shorthands inside [] are not supported in patterns");
          out += shorthand(e);
        } else if (std::isalnum(static_cast<unsigned char>(e)) && e != 'n' && e != 't' && e != 'r') {
          bad(r.where, std::string("escape \\") + e + " is not supported in patterns");
        } else {
          out += escape_class_char(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : static_cast<unsigned char>(e));
        }
        continue;
      }
      if (r.s[r.i] == '-' && out.back() != '[' && out.back() != '^' && r.i + 1 < r.s.size() && r.s[r.i + 1] != ']') {
        out += '-';
        ++r.i;
        continue;
      }
      uint32_t cp = 0;
      int n = utf8::decode_strict(r.s, r.i, &cp);
      if (n <= 0) bad(r.where, "invalid UTF-8 in pattern");
      out += escape_class_char(cp);
      r.i += static_cast<size_t>(n);
    }
    if (r.i >= r.s.size()) bad(r.where, "unclosed [ in pattern (at byte " + std::to_string(start) + ")");
    ++r.i;
    return out + "]";
  }

  const ordered_json& root_;
  const std::string root_name_;
  std::map<std::string, std::string> rules_;
  std::map<std::string, std::string> refs_;
};

}  // namespace

std::string json_schema_to_gbnf(const ordered_json& schema, const std::string& root_name) {
  return Converter(schema, root_name).run();
}

std::string json_object_gbnf() {
  return json_schema_to_gbnf(ordered_json{{"type", "object"}});
}

}  // namespace hearth::sampling
