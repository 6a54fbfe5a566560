#include "memory/importers.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.h"
#include "core/utf8.h"
#include "memory/crypto.h"
#include "memory/graph.h"

namespace hearth::memory {

namespace {

size_t line_of(std::string_view text, size_t byte) {
  byte = std::min(byte, text.size());
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte), '\n'));
}

json parse_whole(std::string_view text, const std::string& name) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    fail(Errc::format, name + ":" + std::to_string(line_of(text, e.byte ? e.byte - 1 : 0)) + ": not valid JSON (" +
                           e.what() + ")");
  } catch (const json::exception& e) {  // e.g. a number too large for any type
    fail(Errc::format, name + ": not usable JSON (" + std::string(e.what()) + ")");
  }
}

// A time in seconds or milliseconds since 1970 that fits a record: up to the year 9999.
bool plausible_epoch_ms(double ms) { return std::isfinite(ms) && ms >= 0 && ms < 253402300800000.0; }

// Iterates non-blank lines, giving each parsed object and its "file:line" label.
template <typename Fn>
void each_jsonl(std::string_view text, const std::string& name, Fn fn) {
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = name + ":" + std::to_string(line_no);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      fail(Errc::format, where + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!j.is_object()) fail(Errc::format, where + ": each line must be a JSON object");
    fn(j, where);
  }
}

int64_t epoch_secs_to_ms(const json& v) {
  if (!v.is_number()) return 0;
  const double ms = v.get<double>() * 1000.0;
  return plausible_epoch_ms(ms) ? static_cast<int64_t>(std::llround(ms)) : 0;  // nonsense: time unknown
}

int64_t time_field(const json& obj, std::initializer_list<const char*> keys, const std::string& where) {
  for (const char* k : keys) {
    auto it = obj.find(k);
    if (it == obj.end() || it->is_null()) continue;
    if (it->is_number()) {
      const double v = it->get<double>();
      const double ms = v > 1e11 ? v : v * 1000.0;  // ms or s
      if (!plausible_epoch_ms(ms)) fail(Errc::format, where + ": field \"" + k + "\" is not a time (" + it->dump() + ")");
      return static_cast<int64_t>(std::llround(ms));
    }
    if (it->is_string()) {
      try {
        return parse_time(it->get<std::string>());
      } catch (const Error& e) {
        fail(Errc::format, where + ": field \"" + k + "\": " + e.what());
      }
    }
    fail(Errc::format, where + ": field \"" + std::string(k) + "\" must be a time");
  }
  return 0;
}

Record episode(const std::string& id, const std::string& role, const std::string& text, const std::string& conv,
               const std::string& provider, const std::string& model, int64_t t, const std::string& tag) {
  Record r;
  r.id = id;
  r.kind = "episode";
  r.scope = "user";
  r.text = (role == "user" ? "User: " : role == "assistant" ? "Assistant: " : role + ": ") + text;
  r.source = {conv, provider, model, t};
  r.created = r.updated = t ? t : 1;  // 1 ms = "time unknown" but keeps created mandatory
  r.confidence = 1.0;
  r.importance = 0.3;
  r.tags = {tag, "role:" + role};
  return r;
}

// A conversation's source label: its title for people, its id so that two conversations with
// the same title ("New chat") stay apart when extraction groups episodes by conversation.
std::string conversation_label(const std::string& title, const std::string& id) {
  return title.empty() || title == id ? id : title + " [" + id + "]";
}

std::string str_field(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string detect_format(std::string_view text, const std::string& name) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) fail(Errc::format, name + ": the file is empty");
  if (text[first] == '[') {
    json j = parse_whole(text, name);
    if (j.empty()) fail(Errc::format, name + ": an empty array; nothing to import");
    const json& c = j[0];
    if (c.is_object() && c.contains("mapping")) return "chatgpt";
    if (c.is_object() && c.contains("chat_messages")) return "claude";
    fail(Errc::format, name + ": a JSON array that is neither a ChatGPT nor a Claude conversations export; "
                              "use --format");
  }
  size_t end = text.find('\n', first);
  std::string_view line = text.substr(first, end == std::string::npos ? std::string::npos : end - first);
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception&) {
    fail(Errc::format, name + ":" + std::to_string(line_of(text, first)) +
                           ": cannot tell the format (first line is not JSON); use --format");
  }
  if (j.is_object()) {
    std::string type = str_field(j, "type");
    if (type == "header" && str_field(j, "format") == "hearth-memory") return "hearth";
    if (type == "entity" || type == "relation") return "mcp-jsonl";
    if (j.contains("role") && j.contains("content")) return "jsonl";
  }
  fail(Errc::format, name + ": unrecognised format; use --format hearth|chatgpt|claude|mcp-jsonl|jsonl");
}

std::vector<Record> import_foreign(const std::string& format, std::string_view text, const std::string& name) {
  if (format == "chatgpt") return import_chatgpt(text, name);
  if (format == "claude") return import_claude(text, name);
  if (format == "mcp-jsonl") return import_mcp_jsonl(text, name);
  if (format == "jsonl") return import_chat_jsonl(text, name);
  fail(Errc::invalid_argument, "unknown import format \"" + format + "\" (hearth, chatgpt, claude, mcp-jsonl, jsonl)");
}

// ChatGPT data export: conversations.json is an array of conversations, each a tree of nodes in
// "mapping" (node id -> {message, parent, children}); "current_node" is the leaf of the branch
// the user last saw, which is the one imported.
std::vector<Record> import_chatgpt(std::string_view text, const std::string& name) {
  json all = parse_whole(text, name);
  if (!all.is_array()) fail(Errc::format, name + ": expected an array of conversations");
  std::vector<Record> out;
  for (size_t ci = 0; ci < all.size(); ++ci) {
    const json& c = all[ci];
    std::string where = name + ": conversation " + std::to_string(ci + 1);
    if (!c.is_object() || !c.contains("mapping") || !c["mapping"].is_object())
      fail(Errc::format, where + ": missing \"mapping\" object");
    const json& map = c["mapping"];
    std::string title = str_field(c, "title");
    std::string conv_id = str_field(c, "conversation_id");
    if (conv_id.empty()) conv_id = str_field(c, "id");
    if (conv_id.empty()) conv_id = title + "#" + std::to_string(ci);
    // Walk from the current leaf to the root; fall back to every node sorted by time.
    std::vector<std::string> chain;
    std::string node = str_field(c, "current_node");
    std::set<std::string> seen;
    while (!node.empty()) {
      if (!map.contains(node)) fail(Errc::format, where + ": node \"" + node + "\" is referenced but missing");
      if (!seen.insert(node).second) fail(Errc::format, where + ": the parent links form a cycle");
      chain.push_back(node);
      const json& n = map[node];
      node = n.contains("parent") && n["parent"].is_string() ? n["parent"].get<std::string>() : "";
    }
    std::reverse(chain.begin(), chain.end());
    if (chain.empty())
      for (auto& [k, v] : map.items()) chain.push_back(k);
    for (const auto& nid : chain) {
      const json& n = map[nid];
      std::string nwhere = where + ", node " + nid;
      if (!n.is_object()) fail(Errc::format, nwhere + ": must be an object");
      if (!n.contains("message") || n["message"].is_null()) continue;
      const json& m = n["message"];
      if (!m.is_object() || !m.contains("author") || !m["author"].is_object())
        fail(Errc::format, nwhere + ": message lacks \"author\"");
      std::string role = str_field(m["author"], "role");
      if (role != "user" && role != "assistant") continue;  // system and tool turns are not memories
      std::string body;
      if (m.contains("content") && m["content"].is_object() && m["content"].contains("parts")) {
        const json& parts = m["content"]["parts"];
        if (!parts.is_array()) fail(Errc::format, nwhere + ": content.parts must be an array");
        for (const auto& p : parts)
          if (p.is_string() && !p.get<std::string>().empty()) body += (body.empty() ? "" : "\n") + p.get<std::string>();
      }
      if (body.empty()) continue;
      std::string model;
      if (m.contains("metadata") && m["metadata"].is_object()) model = str_field(m["metadata"], "model_slug");
      int64_t t = epoch_secs_to_ms(m.value("create_time", json()));
      if (!t) t = epoch_secs_to_ms(c.value("create_time", json()));
      std::string mid = str_field(m, "id");
      out.push_back(episode(stable_id("chatgpt_", conv_id + "/" + (mid.empty() ? nid : mid)), role, body,
                            conversation_label(title, conv_id), "import:chatgpt", model, t, "chatgpt"));
    }
  }
  return out;
}

// Claude export: conversations.json is an array of {uuid, name, chat_messages: [{uuid, sender
// ("human"/"assistant"), text, content: [{type, text}], created_at}]}.
std::vector<Record> import_claude(std::string_view text, const std::string& name) {
  json all = parse_whole(text, name);
  if (!all.is_array()) fail(Errc::format, name + ": expected an array of conversations");
  std::vector<Record> out;
  for (size_t ci = 0; ci < all.size(); ++ci) {
    const json& c = all[ci];
    std::string where = name + ": conversation " + std::to_string(ci + 1);
    if (!c.is_object() || !c.contains("chat_messages") || !c["chat_messages"].is_array())
      fail(Errc::format, where + ": missing \"chat_messages\" array");
    std::string conv_id = str_field(c, "uuid");
    std::string title = str_field(c, "name");
    if (conv_id.empty()) conv_id = title + "#" + std::to_string(ci);
    const json& msgs = c["chat_messages"];
    for (size_t mi = 0; mi < msgs.size(); ++mi) {
      const json& m = msgs[mi];
      std::string mwhere = where + ", message " + std::to_string(mi + 1);
      if (!m.is_object()) fail(Errc::format, mwhere + ": must be an object");
      std::string sender = str_field(m, "sender");
      if (sender != "human" && sender != "assistant")
        fail(Errc::format, mwhere + ": \"sender\" must be \"human\" or \"assistant\"");
      std::string body = str_field(m, "text");
      if (body.empty() && m.contains("content") && m["content"].is_array())
        for (const auto& part : m["content"])
          if (part.is_object() && str_field(part, "type") == "text" && !str_field(part, "text").empty())
            body += (body.empty() ? "" : "\n") + str_field(part, "text");
      if (body.empty()) continue;
      int64_t t = time_field(m, {"created_at"}, mwhere);
      std::string mid = str_field(m, "uuid");
      out.push_back(episode(stable_id("claude_", conv_id + "/" + (mid.empty() ? std::to_string(mi) : mid)),
                            sender == "human" ? "user" : "assistant", body, conversation_label(title, conv_id),
                            "import:claude", "", t, "claude"));
    }
  }
  return out;
}

// The MCP reference memory server's knowledge graph: one JSON object per line, either
// {"type":"entity","name","entityType","observations":[...]} or
// {"type":"relation","from","to","relationType"}. It becomes the same graph records `hearth mcp`'s
// graph tools write (graph.h), in scope user, so the graph tools read it back as it was.
std::vector<Record> import_mcp_jsonl(std::string_view text, const std::string& name) {
  std::vector<Record> out;
  // The reference server's file has no times: records are dated by the import (a statement time
  // of 0 says "unknown"); a line that carries one (forks write createdAt) keeps it. Each record is
  // a millisecond after the one before, so the graph keeps the file's order.
  int64_t next = now_ms();
  const std::string by = "import:mcp-memory";
  each_jsonl(text, name, [&](const json& j, const std::string& where) {
    std::string type = str_field(j, "type");
    const int64_t t = time_field(j, {"createdAt", "created_at", "timestamp"}, where);
    int64_t at = t ? t : next;
    auto need = [&](const char* k) {
      std::string v = str_field(j, k);
      if (v.empty()) fail(Errc::format, where + ": " + type + " lacks \"" + k + "\"");
      return v;
    };
    auto add = [&](Record r) {
      r.source.time = t;
      r.tags.push_back("mcp");
      out.push_back(std::move(r));
      next = std::max(next, at) + 1;
      ++at;
    };
    if (type == "entity") {
      std::string ename = need("name"), etype = need("entityType");
      if (!j.contains("observations") || !j["observations"].is_array())
        fail(Errc::format, where + ": entity lacks the \"observations\" array");
      add(entity_record("user", ename, etype, at, by));
      for (const auto& o : j["observations"]) {
        if (!o.is_string()) fail(Errc::format, where + ": observations must be strings");
        if (o.get<std::string>().empty()) continue;
        add(observation_record("user", ename, o.get<std::string>(), at, by));
      }
    } else if (type == "relation") {
      add(relation_record("user", {need("from"), need("to"), need("relationType")}, at, by));
    } else {
      fail(Errc::format, where + ": \"type\" must be \"entity\" or \"relation\"");
    }
  });
  // Parts repeated across lines collapse into one record (the first).
  std::set<std::string> ids;
  std::vector<Record> unique;
  for (auto& r : out)
    if (ids.insert(r.id).second) unique.push_back(std::move(r));
  return unique;
}

// Plain chat logs: one message per line, {"role","content"} plus optional "conversation" (or
// "conversation_id"), "model", and a time in "time", "timestamp" or "created_at".
std::vector<Record> import_chat_jsonl(std::string_view text, const std::string& name) {
  std::vector<Record> out;
  size_t n = 0;
  each_jsonl(text, name, [&](const json& j, const std::string& where) {
    std::string role = str_field(j, "role");
    if (role.empty()) fail(Errc::format, where + ": missing \"role\"");
    if (!j.contains("content") || !j["content"].is_string())
      fail(Errc::format, where + ": \"content\" must be a string");
    ++n;
    if (role != "user" && role != "assistant") return;
    std::string body = j["content"];
    if (body.empty()) return;
    std::string conv = str_field(j, "conversation");
    if (conv.empty()) conv = str_field(j, "conversation_id");
    int64_t t = time_field(j, {"time", "timestamp", "created_at"}, where);
    Record e = episode(stable_id("chat_", conv + "/" + std::to_string(n) + "/" + body), role, body, conv,
                       "import:jsonl", str_field(j, "model"), t, "chatlog");
    // Without a time, the line number (as milliseconds: still "time unknown") keeps the
    // conversation's order, which extraction reads episodes in.
    if (!t) e.created = e.updated = static_cast<int64_t>(n);
    out.push_back(std::move(e));
  });
  return out;
}

void split_oversized(std::vector<Record>& recs, size_t max_bytes) {
  if (max_bytes < 8) max_bytes = 8;  // room for at least one character of any width per part
  std::vector<Record> out;
  out.reserve(recs.size());
  for (auto& r : recs) {
    if (r.text.size() <= max_bytes) {
      out.push_back(std::move(r));
      continue;
    }
    const std::string text = std::move(r.text);
    size_t pos = 0;
    for (int part = 1; pos < text.size(); ++part) {
      size_t end = std::min(text.size(), pos + max_bytes);
      if (end < text.size()) {
        end = std::max(utf8::char_start(text, end), pos + 1);  // not inside a character
        // Prefer to end after a space in the last quarter of the part.
        const size_t floor = pos + max_bytes * 3 / 4;
        for (size_t k = end; k > floor; --k)
          if (text[k - 1] == ' ' || text[k - 1] == '\n') {
            end = k;
            break;
          }
      }
      Record p = r;
      p.text = text.substr(pos, end - pos);
      if (part > 1) {
        p.id = r.id + "~" + std::to_string(part);
        p.tags.push_back("continued");
      }
      out.push_back(std::move(p));
      pos = end;
    }
  }
  recs = std::move(out);
}

}  // namespace hearth::memory
