#include "engine/tool_calls.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "engine/partial_match.h"
#include "sampling/json_schema.h"

namespace hearth::engine {
namespace {

bool has(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

std::string args_rule(size_t i) { return "hc" + std::to_string(i) + "-args"; }

// The marker a call starts with in each syntax (the lazy grammar's trigger).
std::vector<std::string> markers(ToolSyntax s) {
  switch (s) {
    case ToolSyntax::generic:
    case ToolSyntax::hermes:
    case ToolSyntax::qwen3_coder: return {"<tool_call>"};
    case ToolSyntax::llama3: return {"{\"name\"", "<|python_tag|>"};
    case ToolSyntax::mistral:
    case ToolSyntax::mistral_args: return {"[TOOL_CALLS]"};
    // The recipient after the channel (as OpenAI documents) or after the role (as the gpt-oss
    // template writes past calls).
    case ToolSyntax::harmony: return {"<|channel|>commentary to=", " to=functions."};
  }
  return {};
}

// The properties of an object schema, required ones first (the order the call is written in).
struct Param {
  std::string name;
  ordered_json schema;
  bool required = false;
};
std::vector<Param> params_of(const ordered_json& schema) {
  std::vector<Param> out;
  if (!schema.is_object() || !schema.contains("properties") || !schema["properties"].is_object()) return out;
  std::set<std::string> req;
  if (schema.contains("required") && schema["required"].is_array())
    for (const auto& r : schema["required"])
      if (r.is_string()) req.insert(r.get<std::string>());
  for (const bool want : {true, false})
    for (const auto& [k, v] : schema["properties"].items())
      if (req.count(k) == static_cast<size_t>(want)) out.push_back({k, v, want});
  return out;
}

std::string gbnf_literal(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string gbnf_literal(std::string_view s);

// A string enum or const as GBNF alternatives of the raw strings.
bool string_choices(const ordered_json& s, std::string& out) {
  if (!s.is_object()) return false;
  ordered_json vals = s.contains("enum") ? s["enum"] : s.contains("const") ? ordered_json::array({s["const"]}) : ordered_json();
  if (!vals.is_array() || vals.empty()) return false;
  for (const auto& v : vals)
    if (!v.is_string()) return false;
  out = "(";
  for (size_t i = 0; i < vals.size(); ++i) out += (i ? " | " : " ") + gbnf_literal(vals[i].get<std::string>());
  out += " )";
  return true;
}

// Qwen3-Coder writes each parameter as <parameter=NAME>\nVALUE\n</parameter>\n: strings raw,
// everything else as JSON.
std::string coder_call(size_t i, const ToolSpec& t, std::string& rules) {
  std::string body = gbnf_literal("<function=" + t.name + ">\n");
  size_t k = 0;
  for (const auto& p : params_of(t.parameters)) {
    const std::string rule = "hc" + std::to_string(i) + "-p" + std::to_string(k++);
    std::string value;
    if (string_choices(p.schema, value)) {
    } else if (p.schema.is_object() && p.schema.value("type", ordered_json()) == "string") {
      value = "hc-raw";  // written raw: pattern and format are not enforced in this syntax
    } else {
      rules += sampling::json_schema_to_gbnf(p.schema, rule + "-v");
      value = rule + "-v";
    }
    rules += rule + " ::= " + gbnf_literal("<parameter=" + p.name + ">\n") + " " + value + " " +
             gbnf_literal("\n</parameter>\n") + "\n";
    body += p.required ? " " + rule : " " + rule + "?";
  }
  return body + " " + gbnf_literal("</function>");
}

// Keeps the first copy of each line: the converters' primitives repeat across tools.
std::string dedupe_lines(const std::string& text) {
  std::string out;
  std::set<std::string> seen;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && seen.insert(line).second) out += line + "\n";
    start = end + 1;
  }
  return out;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

const ToolSpec* find_tool(const std::vector<ToolSpec>& tools, const std::string& name) {
  for (const auto& t : tools)
    if (t.name == name) return &t;
  return nullptr;
}

// {"name": N, "arguments"|"parameters": {...}} -> a call, when N is a tool and the arguments an object
// (or a string holding one, as some models write).
bool call_from_json(const ordered_json& j, const std::vector<ToolSpec>& tools, ParsedToolCall& out) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) return false;
  if (!find_tool(tools, j["name"].get<std::string>())) return false;
  ordered_json args = ordered_json::object();
  for (const char* k : {"arguments", "parameters"})
    if (j.contains(k)) args = j[k];
  if (args.is_string()) {
    try {
      args = ordered_json::parse(args.get<std::string>());
    } catch (const json::exception&) {
      return false;
    }
  }
  if (!args.is_object()) return false;
  out.name = j["name"];
  out.arguments = args.dump();
  return true;
}

// Parses one JSON value at the start of s (after spaces); returns the bytes it took, 0 when none.
size_t json_prefix(std::string_view s, ordered_json& out) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
  if (i == s.size() || (s[i] != '{' && s[i] != '[')) return 0;
  // Find the matching close bracket outside strings, then parse exactly that much.
  int depth = 0;
  bool in_str = false;
  for (size_t k = i; k < s.size(); ++k) {
    const char c = s[k];
    if (in_str) {
      if (c == '\\') ++k;
      else if (c == '"') in_str = false;
      continue;
    }
    if (c == '"') in_str = true;
    else if (c == '{' || c == '[') ++depth;
    else if ((c == '}' || c == ']') && --depth == 0) {
      try {
        out = ordered_json::parse(s.substr(i, k + 1 - i));
      } catch (const json::exception&) {
        return 0;
      }
      return k + 1;
    }
  }
  return 0;
}

ParsedReply parse_tagged(std::string_view text, const std::vector<ToolSpec>& tools, bool coder) {
  ParsedReply r;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("<tool_call>", pos);
    const size_t close = open == std::string_view::npos ? open : text.find("</tool_call>", open);
    if (close == std::string_view::npos) break;
    const std::string_view inner = text.substr(open + 11, close - open - 11);
    ParsedToolCall call;
    bool ok = false;
    if (coder) {
      const size_t f = inner.find("<function=");
      const size_t fe = f == std::string_view::npos ? f : inner.find('>', f);
      if (fe != std::string_view::npos) {
        call.name = std::string(inner.substr(f + 10, fe - f - 10));
        const ToolSpec* t = find_tool(tools, call.name);
        ordered_json args = ordered_json::object();
        ok = t != nullptr;
        size_t p = fe;
        while (ok) {
          const size_t ps = inner.find("<parameter=", p);
          if (ps == std::string_view::npos) break;
          const size_t pe = inner.find('>', ps);
          const size_t end = pe == std::string_view::npos ? pe : inner.find("</parameter>", pe);
          if (end == std::string_view::npos) {
            ok = false;
            break;
          }
          const std::string name(inner.substr(ps + 11, pe - ps - 11));
          std::string value(inner.substr(pe + 1, end - pe - 1));
          if (!value.empty() && value.front() == '\n') value.erase(0, 1);
          if (!value.empty() && value.back() == '\n') value.pop_back();
          ordered_json schema;
          std::string value_rule;
          if (t->parameters.contains("properties") && t->parameters["properties"].contains(name))
            schema = t->parameters["properties"][name];
          if (schema.is_object() && (schema.value("type", ordered_json()) == "string" || string_choices(schema, value_rule))) {
            args[name] = value;
          } else {
            try {
              args[name] = ordered_json::parse(trim(value));
            } catch (const json::exception&) {
              args[name] = value;
            }
          }
          p = end;
        }
        if (ok) call.arguments = args.dump();
      }
    } else {
      ordered_json j;
      const size_t n = json_prefix(inner, j);
      ok = n > 0 && trim(inner.substr(n)).empty() && call_from_json(j, tools, call);
    }
    if (!ok) {
      r.content += std::string(text.substr(pos, close + 12 - pos));
      pos = close + 12;
      continue;
    }
    r.content += std::string(text.substr(pos, open - pos));
    r.calls.push_back(std::move(call));
    pos = close + 12;
  }
  std::string_view tail = text.substr(pos);
  // A call cut off (by max_tokens) after complete ones is dropped, not shown as text.
  if (!r.calls.empty()) tail = tail.substr(0, tail.find("<tool_call>"));
  r.content += std::string(tail);
  return r;
}

// Reads call objects from the front of `rest` while they parse, skipping `separators` after each.
void take_calls(std::string_view& rest, const std::vector<ToolSpec>& tools, const char* separators,
                std::vector<ParsedToolCall>& out) {
  while (true) {
    ordered_json j;
    const size_t n = json_prefix(rest, j);
    ParsedToolCall call;
    if (n == 0 || !call_from_json(j, tools, call)) return;
    out.push_back(std::move(call));
    rest.remove_prefix(n);
    const size_t b = rest.find_first_not_of(separators);
    rest.remove_prefix(b == std::string_view::npos ? rest.size() : b);
  }
}

ParsedReply parse_llama3(std::string_view text, const std::vector<ToolSpec>& tools) {
  ParsedReply r;
  std::string_view rest = text;
  if (const size_t tag = rest.find("<|python_tag|>"); tag != std::string_view::npos) {
    r.content = std::string(rest.substr(0, tag));
    rest.remove_prefix(tag + 14);
  } else {
    // Without the tag a call is a reply that is nothing but call objects.
    const size_t b = rest.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos || rest[b] != '{') return {std::string(text), {}};
  }
  take_calls(rest, tools, " \t\r\n;", r.calls);
  if (r.calls.empty()) return {std::string(text), {}};
  if (rest.substr(0, 1) != "{") r.content += std::string(rest);  // else: a call cut off after complete ones
  return r;
}

ParsedReply parse_mistral(std::string_view text, const std::vector<ToolSpec>& tools, bool args_form) {
  ParsedReply r;
  size_t at = text.find("[TOOL_CALLS]");
  if (at == std::string_view::npos) return {std::string(text), {}};
  r.content = std::string(text.substr(0, at));
  std::string_view rest = text.substr(at);
  while (rest.substr(0, 12) == "[TOOL_CALLS]") {
    const std::string_view call_start = rest;
    rest.remove_prefix(12);
    if (!args_form) {
      // Element by element, so an array cut off by max_tokens keeps its complete calls.
      const size_t b = rest.find_first_not_of(" \t\r\n");
      if (b == std::string_view::npos || rest[b] != '[') break;
      rest.remove_prefix(b + 1);
      take_calls(rest, tools, " \t\r\n,", r.calls);
      if (rest.substr(0, 1) == "]") rest.remove_prefix(1);
      if (!rest.empty() && rest.substr(0, 12) != "[TOOL_CALLS]") {
        const size_t e = rest.find_first_not_of(" \t\r\n");
        if (e != std::string_view::npos && rest[e] == '{') rest = {};  // cut off mid-call
      }
      continue;
    }
    const size_t a = rest.find("[ARGS]");
    if (a == std::string_view::npos) {
      rest = call_start;
      break;
    }
    std::string name(rest.substr(0, a));
    if (const size_t cid = name.find("[CALL_ID]"); cid != std::string::npos) name.resize(cid);
    rest.remove_prefix(a + 6);
    ordered_json args;
    const size_t n = json_prefix(rest, args);
    ParsedToolCall call;
    if (n == 0 || !call_from_json(ordered_json{{"name", name}, {"arguments", args}}, tools, call)) {
      rest = call_start;
      break;
    }
    r.calls.push_back(std::move(call));
    rest.remove_prefix(n);
    const size_t b = rest.find_first_not_of(" \t\r\n");
    rest.remove_prefix(b == std::string_view::npos ? rest.size() : b);
  }
  if (r.calls.empty()) return {std::string(text), {}};
  if (rest.substr(0, 12) != "[TOOL_CALLS]") r.content += std::string(rest);  // else: cut off mid-call
  return r;
}

// Calls are the messages addressed to a function; the answer is the final channel's text (and
// commentary without a recipient: preambles); analysis is reasoning and not content.
ParsedReply parse_harmony_calls(std::string_view text, const std::vector<ToolSpec>& tools) {
  ParsedReply r;
  for (const auto& m : parse_harmony(text)) {
    if (m.channel == "analysis") continue;
    if (m.recipient.rfind("functions.", 0) == 0) {
      ordered_json args;
      const size_t n = json_prefix(m.body, args);
      ParsedToolCall call;
      if (n > 0 && trim(std::string_view(m.body).substr(n)).empty() &&
          call_from_json(ordered_json{{"name", m.recipient.substr(10)}, {"arguments", args}}, tools, call)) {
        r.calls.push_back(std::move(call));
        continue;
      }
      // Not a call after all (cut off, or an unknown tool): shown as written, as other syntaxes do.
      r.content += harmony_call_header(m.recipient) + m.body;
      continue;
    }
    if (!m.body.empty()) r.content += (r.content.empty() ? "" : "\n") + m.body;
  }
  return r;
}

constexpr std::string_view kChannel = "<|channel|>", kMessage = "<|message|>", kStart = "<|start|>",
                           kEnd = "<|end|>", kConstrain = "<|constrain|>";

// A message header starts at `p` ("<|start|>ROLE", "<|channel|>", or " to=" for a recipient
// right after the prompt's role) and runs to its <|message|>; returns where that is, or npos.
size_t harmony_header_end(std::string_view text, size_t p) {
  const std::string_view at = text.substr(p);
  // " to=" continues the prompt's "<|start|>assistant", so only the reply's first message has it.
  if (at.substr(0, kChannel.size()) != kChannel && at.substr(0, kStart.size()) != kStart &&
      !(p == 0 && at.substr(0, 4) == " to="))
    return std::string_view::npos;
  const size_t msg = text.find(kMessage, p);
  if (msg == std::string_view::npos) return msg;
  const std::string_view header = text.substr(p, msg - p);
  if (header.find(kChannel) == std::string_view::npos || header.find(kEnd) != std::string_view::npos)
    return std::string_view::npos;
  return msg;
}

}  // namespace

std::vector<HarmonyMessage> parse_harmony(std::string_view text) {
  std::vector<HarmonyMessage> out;
  size_t pos = 0;
  while (pos < text.size()) {
    // Between messages: "<|end|>" carries nothing the reader needs.
    if (text.substr(pos, kEnd.size()) == kEnd) {
      pos += kEnd.size();
      continue;
    }
    const size_t msg = harmony_header_end(text, pos);
    if (msg == std::string_view::npos) {  // not the format: plain text up to the next header
      size_t next = pos;
      while (true) {
        next = std::min(text.find(kChannel, next + 1), text.find(kStart, next + 1));
        if (next == std::string_view::npos || harmony_header_end(text, next) != std::string_view::npos) break;
      }
      out.push_back({"", "", std::string(text.substr(pos, next == std::string_view::npos ? next : next - pos))});
      pos = next;
      continue;
    }
    const std::string_view header = text.substr(pos, msg - pos);
    HarmonyMessage m;
    const size_t ch = header.find(kChannel);
    // The recipient may be written after the role ("<|start|>assistant to=functions.f<|channel|>")
    // or after the channel ("<|channel|>commentary to=functions.f <|constrain|>json").
    auto recipient_in = [&](std::string_view part) {
      const size_t to = part.find(" to=");
      if (to == std::string_view::npos) return;
      const std::string_view rest = part.substr(to + 4);
      m.recipient = std::string(rest.substr(0, rest.find_first_of(" <")));
    };
    recipient_in(header.substr(0, ch));
    std::string_view channel = header.substr(ch + kChannel.size());
    if (const size_t c = channel.find(kConstrain); c != std::string_view::npos) channel = channel.substr(0, c);
    recipient_in(channel);
    m.channel = std::string(channel.substr(0, channel.find(' ')));
    const size_t body = msg + kMessage.size();
    // A body ends at <|end|>, or where the next message begins if the model left <|end|> out.
    size_t end = text.size();
    for (std::string_view stop : {kEnd, kStart, kChannel}) end = std::min(end, text.find(stop, body));
    m.body = std::string(text.substr(body, end - body));
    out.push_back(std::move(m));
    pos = end;
  }
  return out;
}

std::string harmony_call_header(std::string_view recipient) {
  return "<|channel|>commentary to=" + std::string(recipient) + " <|constrain|>json<|message|>";
}

size_t harmony_stable_prefix(std::string_view text) {
  size_t cut = text.size();
  for (std::string_view tag : {kEnd, kStart, kChannel, kMessage, kConstrain})
    cut = std::min(cut, text.size() - partial_match(text, tag));
  // A header whose <|message|> has not come yet could still turn out to be one: hold back from
  // the first place one could start after the last <|message|>.
  const size_t last_msg = text.rfind(kMessage);
  const size_t from = last_msg == std::string_view::npos ? 0 : last_msg + kMessage.size();
  for (std::string_view open : {kChannel, kStart}) cut = std::min(cut, text.find(open, from));
  // A reply opening with (a piece of) " to=" may be naming a recipient after the role.
  constexpr std::string_view kTo = " to=";
  if (last_msg == std::string_view::npos &&
      (text.substr(0, kTo.size()) == kTo || (cut > 0 && cut < kTo.size() && kTo.substr(0, cut) == text.substr(0, cut))))
    cut = 0;
  return cut;
}

const char* tool_syntax_name(ToolSyntax s) {
  switch (s) {
    case ToolSyntax::generic: return "generic";
    case ToolSyntax::hermes: return "hermes";
    case ToolSyntax::qwen3_coder: return "qwen3-coder";
    case ToolSyntax::llama3: return "llama3";
    case ToolSyntax::mistral: return "mistral";
    case ToolSyntax::mistral_args: return "mistral-args";
    case ToolSyntax::harmony: return "harmony";
  }
  return "?";
}

ToolSyntax detect_tool_syntax(std::string_view src) {
  if (has(src, "<|channel|>") && has(src, "<|message|>")) return ToolSyntax::harmony;
  if (has(src, "[TOOL_CALLS]")) return has(src, "[ARGS]") ? ToolSyntax::mistral_args : ToolSyntax::mistral;
  if (has(src, "<tool_call>") && has(src, "<function=") && has(src, "<parameter=")) return ToolSyntax::qwen3_coder;
  if (has(src, "<tool_call>") && has(src, "tools")) return ToolSyntax::hermes;
  if (has(src, "<|python_tag|>") || (has(src, "ipython") && has(src, "\"parameters\""))) return ToolSyntax::llama3;
  return ToolSyntax::generic;
}

void validate_tools(const std::vector<ToolSpec>& tools) {
  std::set<std::string> names;
  for (size_t i = 0; i < tools.size(); ++i) {
    const auto& t = tools[i];
    const std::string where = "tools[" + std::to_string(i) + "].function";
    const bool ok_name = !t.name.empty() && t.name.size() <= 64 &&
                         std::all_of(t.name.begin(), t.name.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
                         });
    if (!ok_name)
      fail(Errc::invalid_argument, "'" + where + ".name' must be 1-64 letters, digits, '_' or '-' (got '" + t.name + "')");
    if (!names.insert(t.name).second) fail(Errc::invalid_argument, "'" + where + ".name' repeats the tool '" + t.name + "'");
    if (!t.parameters.is_object() || t.parameters.value("type", ordered_json("object")) != "object")
      fail(Errc::invalid_argument, "'" + where + ".parameters' must be a JSON schema of type object");
    try {
      (void)sampling::json_schema_to_gbnf(t.parameters);
    } catch (const Error& e) {
      fail(Errc::invalid_argument, "'" + where + ".parameters': " + e.what());
    }
  }
}

std::vector<std::string> tool_marker_tokens(ToolSyntax syntax) {
  switch (syntax) {
    case ToolSyntax::generic:
    case ToolSyntax::hermes:
    case ToolSyntax::qwen3_coder: return {"<tool_call>", "</tool_call>"};
    case ToolSyntax::llama3: return {"<|python_tag|>"};
    case ToolSyntax::mistral: return {"[TOOL_CALLS]"};
    case ToolSyntax::mistral_args: return {"[TOOL_CALLS]", "[ARGS]", "[CALL_ID]"};
    case ToolSyntax::harmony: return {};  // the vocabulary already reads its structure as text
  }
  return {};
}

ToolGrammar tool_call_grammar(ToolSyntax syntax, const std::vector<ToolSpec>& tools, const ToolChoice& choice) {
  ToolGrammar g;
  if (choice.mode == ToolMode::none || tools.empty()) return g;
  std::vector<size_t> allowed;
  for (size_t i = 0; i < tools.size(); ++i)
    if (choice.mode != ToolMode::named || tools[i].name == choice.name) allowed.push_back(i);
  if (allowed.empty()) fail(Errc::invalid_argument, "'tool_choice' names '" + choice.name + "', which is not among the tools");

  std::string rules;
  std::string alts;  // one call of any allowed tool, in the syntax's own form
  for (size_t i : allowed) {
    const ToolSpec& t = tools[i];
    std::string call;
    if (syntax == ToolSyntax::qwen3_coder) {
      call = coder_call(i, t, rules);
    } else {
      rules += sampling::json_schema_to_gbnf(t.parameters, args_rule(i));
      const std::string name = gbnf_literal("\"" + t.name + "\"");
      if (syntax == ToolSyntax::mistral_args) {
        call = gbnf_literal(t.name + "[ARGS]") + " " + args_rule(i);
      } else if (syntax == ToolSyntax::harmony) {
        // The recipient goes after the channel (as OpenAI documents) or after the role (as the
        // gpt-oss template writes past calls); the model may write either.
        call = "( " + gbnf_literal("<|channel|>commentary to=functions." + t.name) + " | " +
               gbnf_literal(" to=functions." + t.name + "<|channel|>commentary") + " ) hc-fmt \"<|message|>\" " + args_rule(i);
      } else {
        const char* key = syntax == ToolSyntax::llama3 ? "\"parameters\"" : "\"arguments\"";
        call = "\"{\" hc-sp \"\\\"name\\\"\" hc-sp \":\" hc-sp " + name + " hc-sp \",\" hc-sp " +
               gbnf_literal(key) + " hc-sp \":\" hc-sp " + args_rule(i) + " \"}\"";
      }
    }
    alts += (alts.empty() ? "" : " | ") + ("( " + call + " )");
  }
  rules += "hc-call ::= " + alts + "\n";
  rules += "hc-sp ::= [ ]?\n";
  rules += "hc-raw ::= ( [^<] | \"<\" [^/] )*\n";
  switch (syntax) {
    case ToolSyntax::generic:
    case ToolSyntax::hermes:
    case ToolSyntax::qwen3_coder:
      rules += "hc-one ::= \"<tool_call>\\n\" hc-call \"\\n</tool_call>\"\n";
      rules += "root ::= hc-one" + std::string(choice.parallel ? " ( \"\\n\" hc-one )*" : "") + "\n";
      break;
    case ToolSyntax::llama3:
      rules += "root ::= hc-call" + std::string(choice.parallel ? " ( \"; \" hc-call )*" : "") + "\n";
      break;
    case ToolSyntax::mistral:
      rules += "root ::= \"[TOOL_CALLS][\" hc-call" + std::string(choice.parallel ? " ( \", \" hc-call )*" : "") + " \"]\"\n";
      break;
    case ToolSyntax::mistral_args:
      rules += "root ::= \"[TOOL_CALLS]\" hc-call" + std::string(choice.parallel ? " ( \"[TOOL_CALLS]\" hc-call )*" : "") + "\n";
      break;
    case ToolSyntax::harmony:
      // One call per reply (<|call|> ends it), optionally after the model's analysis; the
      // analysis is free text up to its <|end|>.
      rules += "root ::= hc-analysis? hc-call\n";
      rules += "hc-fmt ::= ( \" <|constrain|>json\" | \" json\" )?\n";
      rules += "hc-analysis ::= \"<|channel|>analysis<|message|>\" ( [^<] | \"<\" [^|] )* \"<|end|><|start|>assistant\"\n";
      break;
  }
  g.gbnf = dedupe_lines(rules);
  if (choice.mode == ToolMode::automatic) g.triggers = markers(syntax);
  // Llama's tag is a control token the grammar never sees as text; its JSON opening is the trigger.
  if (syntax == ToolSyntax::llama3 && !g.triggers.empty()) g.triggers = {"{\"name\""};
  return g;
}

ParsedReply parse_tool_calls(ToolSyntax syntax, std::string_view text, const std::vector<ToolSpec>& tools) {
  ParsedReply r;
  switch (syntax) {
    case ToolSyntax::generic:
    case ToolSyntax::hermes: r = parse_tagged(text, tools, false); break;
    case ToolSyntax::qwen3_coder: r = parse_tagged(text, tools, true); break;
    case ToolSyntax::llama3: r = parse_llama3(text, tools); break;
    case ToolSyntax::mistral: r = parse_mistral(text, tools, false); break;
    case ToolSyntax::mistral_args: r = parse_mistral(text, tools, true); break;
    case ToolSyntax::harmony: r = parse_harmony_calls(text, tools); break;
  }
  if (!r.calls.empty()) r.content = trim(r.content);
  return r;
}

size_t tool_call_start(ToolSyntax syntax, std::string_view text) {
  size_t best = std::string_view::npos;
  for (const auto& m : markers(syntax)) {
    if (const size_t at = text.find(m); at != std::string_view::npos) {
      best = std::min(best, at);
      continue;
    }
    if (const size_t n = partial_match(text, m)) best = std::min(best, text.size() - n);  // a trailing partial marker
  }
  return best;
}

std::string new_tool_call_id(ToolSyntax syntax, uint64_t& state) {
  static constexpr char kAlnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bool mistral = syntax == ToolSyntax::mistral || syntax == ToolSyntax::mistral_args;
  std::string id = mistral ? "" : "call_";
  const int n = mistral ? 9 : 24;
  for (int i = 0; i < n; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // PCG-style LCG step
    id += kAlnum[(state >> 33) % 62];
  }
  return id;
}

std::string generic_tool_prompt(const std::vector<ToolSpec>& tools) {
  std::string out =
      "You can call these tools (JSON Schema of each one's arguments):\n";
  for (const auto& t : tools) {
    ordered_json d = {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}};
    out += d.dump() + "\n";
  }
  out +=
      "To call a tool, reply with\n<tool_call>\n{\"name\": \"TOOL NAME\", \"arguments\": {ARGUMENTS AS JSON}}\n</tool_call>\n"
      "(one block per call) and nothing else. Results come back in the next message; use them to answer.";
  return out;
}

}  // namespace hearth::engine
