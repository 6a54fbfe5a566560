#include "eval/render.h"

#include <cctype>

#include "core/error.h"

namespace hearth::eval {
namespace {

jinja::Value context_of(const Doc& d, const ordered_json* extra) {
  jinja::Dict dict;
  for (auto& [k, v] : d.fields.items()) dict.emplace_back(jinja::Value(k), jinja::Value::from_json(v));
  if (extra)
    for (auto& [k, v] : extra->items()) dict.emplace_back(jinja::Value(k), jinja::Value::from_json(v));
  dict.emplace_back(jinja::Value("doc"), jinja::Value::from_json(d.fields));
  return jinja::Value::dict(std::move(dict));
}

// lm-eval renders task templates in a Jinja2 environment with StrictUndefined and
// keep_trailing_newline and without block trimming: a missing field is an error, and a
// description ending in "\n\n" keeps both newlines.
jinja::Options harness_options() {
  jinja::Options o;
  o.trim_blocks = false;
  o.lstrip_blocks = false;
  o.keep_trailing_newline = true;
  o.strict_undefined = true;
  return o;
}

std::string json_text(const ordered_json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  return j.dump();
}

}  // namespace

std::optional<std::vector<std::string>> parse_python_list(const std::string& s) {
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  ws();
  if (i >= s.size() || s[i] != '[') return std::nullopt;
  ++i;
  std::vector<std::string> out;
  ws();
  if (i < s.size() && s[i] == ']') return out;
  while (i < s.size()) {
    ws();
    if (i >= s.size()) return std::nullopt;
    if (s[i] == '\'' || s[i] == '"') {
      char q = s[i++];
      std::string v;
      while (i < s.size() && s[i] != q) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          char e = s[++i];
          v += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        } else {
          v += s[i];
        }
        ++i;
      }
      if (i >= s.size()) return std::nullopt;
      ++i;
      out.push_back(std::move(v));
    } else {
      size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != ']') ++i;
      std::string v = s.substr(start, i - start);
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
      if (v.empty()) return std::nullopt;
      out.push_back(v);
    }
    ws();
    if (i < s.size() && s[i] == ',') {
      ++i;
      ws();
      if (i < s.size() && s[i] == ']') return out;  // trailing comma
      continue;
    }
    if (i < s.size() && s[i] == ']') {
      ++i;
      ws();
      return i == s.size() ? std::optional(out) : std::nullopt;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

DocRenderer::Field DocRenderer::compile(const std::string& s, const char* what) const {
  Field f;
  f.src = s;
  if (s.empty()) return f;
  if (s.find("{{") != std::string::npos || s.find("{%") != std::string::npos) {
    f.kind = Field::Kind::tmpl;
    try {
      f.t = std::make_shared<jinja::Template>(jinja::Template::parse(s, harness_options()));
    } catch (const Error& e) {
      fail(Errc::format, task_.source + ": " + what + ": " + e.what());
    }
    return f;
  }
  // A bare identifier is a field name when the record has it; decided per document.
  f.kind = Field::Kind::literal;
  bool ident = true;
  for (char c : s) ident = ident && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ' ');
  if (ident) f.kind = Field::Kind::field;
  return f;
}

DocRenderer::DocRenderer(const TaskConfig& task) : task_(task) {
  text_ = compile(task.doc_to_text, "doc_to_text");
  target_ = compile(task.doc_to_target, "doc_to_target");
  if (!task.doc_to_choice.empty()) choice_ = compile(task.doc_to_choice, "doc_to_choice");
  if (!task.description.empty()) {
    // Always a template, as in the harness (plain text renders to itself).
    description_.kind = Field::Kind::tmpl;
    description_.src = task.description;
    try {
      description_.t = std::make_shared<jinja::Template>(jinja::Template::parse(task.description, harness_options()));
    } catch (const Error& e) {
      fail(Errc::format, task_.source + ": description: " + e.what());
    }
  }
}

std::string DocRenderer::description(const Doc& d) const {
  return json_text(eval(description_, d, "description"));
}

ordered_json DocRenderer::eval(const Field& f, const Doc& d, const char* what) const {
  switch (f.kind) {
    case Field::Kind::empty: return "";
    case Field::Kind::literal: return f.src;
    case Field::Kind::field:
      if (d.fields.contains(f.src)) return d.fields.at(f.src);
      return f.src;  // not a field of this record: literal text, as the harness does
    case Field::Kind::tmpl:
      try {
        return f.t->render(context_of(d, nullptr));
      } catch (const Error& e) {
        fail(Errc::format, d.origin + ": " + what + " (" + task_.source + "): " + e.what());
      }
  }
  return "";
}

std::string DocRenderer::text(const Doc& d) const { return json_text(eval(text_, d, "doc_to_text")); }

std::vector<std::string> DocRenderer::choices(const Doc& d) const {
  if (!task_.has_choices) return {};
  if (!task_.choice_list.empty()) return task_.choice_list;
  ordered_json v = eval(choice_, d, "doc_to_choice");
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& e : v) out.push_back(json_text(e));
  } else if (v.is_object()) {
    for (auto& [k, e] : v.items()) out.push_back(json_text(e));
  } else {
    auto parsed = parse_python_list(json_text(v));
    if (!parsed) fail(Errc::format, d.origin + ": doc_to_choice did not give a list (got '" + json_text(v).substr(0, 80) + "')");
    out = std::move(*parsed);
  }
  if (out.empty()) fail(Errc::format, d.origin + ": doc_to_choice gave no choices");
  return out;
}

Target DocRenderer::target(const Doc& d) const {
  ordered_json v = eval(target_, d, "doc_to_target");
  Target t;
  if (task_.has_choices) {
    auto ch = choices(d);
    std::optional<long long> idx;
    if (v.is_number_integer()) idx = v.get<long long>();
    else if (v.is_string()) {
      std::string s = v.get<std::string>();
      bool digits = !s.empty() && s.size() < 10;
      for (char c : s) digits = digits && std::isdigit(static_cast<unsigned char>(c));
      if (digits) idx = std::stoll(s);
      else {
        for (size_t i = 0; i < ch.size(); ++i)
          if (ch[i] == s) idx = static_cast<long long>(i);
        if (!idx) fail(Errc::format, d.origin + ": target '" + s + "' is neither a choice index nor one of the choices");
      }
    }
    if (!idx) fail(Errc::format, d.origin + ": doc_to_target must give a choice index");
    if (*idx < 0 || *idx >= static_cast<long long>(ch.size()))
      fail(Errc::format, d.origin + ": target index " + std::to_string(*idx) + " outside the " +
                             std::to_string(ch.size()) + " choices");
    t.index = static_cast<int>(*idx);
    t.text = ch[*idx];
    return t;
  }
  t.text = json_text(v);
  return t;
}

std::string DocRenderer::render_with(const std::string& tmpl, const Doc& d, const ordered_json& extra) {
  auto t = jinja::Template::parse(tmpl);
  return t.render(context_of(d, &extra));
}

}  // namespace hearth::eval
