#include "memory/record.h"

#include <sodium.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "core/error.h"

namespace hearth::memory {

bool valid_kind(const std::string& k) {
  return k == "fact" || k == "preference" || k == "instruction" || k == "task" || k == "episode" || k == "core" ||
         k == "entity" || k == "relation";
}

bool valid_scope(const std::string& s) {
  if (s == "user" || s == "private") return true;
  for (const char* p : {"agent:", "app:", "project:"}) {
    std::string prefix = p;
    if (s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {
std::string hex_id(const std::string& prefix, const unsigned char* b, size_t n) {
  static const char* hex = "0123456789abcdef";
  std::string id = prefix;
  for (size_t i = 0; i < n; ++i) {
    id += hex[b[i] >> 4];
    id += hex[b[i] & 15];
  }
  return id;
}
}  // namespace

std::string new_id() {
  if (sodium_init() < 0) fail(Errc::internal, "libsodium failed to initialise");
  unsigned char b[12];
  randombytes_buf(b, sizeof b);
  return hex_id("m_", b, sizeof b);
}

std::string stable_id(const std::string& prefix, const std::string& key) {
  if (sodium_init() < 0) fail(Errc::internal, "libsodium failed to initialise");
  unsigned char h[12];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  return hex_id(prefix, h, sizeof h);
}

std::string format_time(int64_t ms) {
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int frac = static_cast<int>(ms - secs * 1000);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

int64_t parse_time(const std::string& s) {
  int Y, M, D, h, m, sec;
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) != 6 || n != 19 ||
      M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
    fail(Errc::format, "bad time \"" + s + "\" (want RFC 3339, e.g. 2026-01-31T12:00:00.000Z)");
  size_t i = 19;
  int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) fail(Errc::format, "bad time \"" + s + "\": empty fraction");
    for (int d = digits; d < 3; ++d) frac_ms *= 10;
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = std::atoi(s.substr(i + 1, 2).c_str()), om = std::atoi(s.substr(i + 4, 2).c_str());
    offset_s = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    fail(Errc::format, "bad time \"" + s + "\": missing Z or offset");
  }
  if (i != s.size()) fail(Errc::format, "bad time \"" + s + "\": trailing characters");
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_s;
  return secs * 1000 + frac_ms;
}

namespace {

ordered_json time_or_null(int64_t ms) { return ms ? ordered_json(format_time(ms)) : ordered_json(nullptr); }

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  fail(Errc::format, where + ": " + what);
}

std::string get_string(const json& j, const char* key, const std::string& where, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) bad(where, std::string("missing field \"") + key + "\"");
    return {};
  }
  if (!it->is_string()) bad(where, std::string("field \"") + key + "\" must be a string");
  return it->get<std::string>();
}

int64_t get_time(const json& j, const char* key, const std::string& where, bool required) {
  std::string s = get_string(j, key, where, required);
  if (s.empty()) return 0;
  try {
    return parse_time(s);
  } catch (const Error& e) {
    bad(where, std::string("field \"") + key + "\": " + e.what());
  }
}

double get_unit(const json& j, const char* key, double dflt, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return dflt;
  if (!it->is_number()) bad(where, std::string("field \"") + key + "\" must be a number");
  double v = it->get<double>();
  if (!(v >= 0.0 && v <= 1.0)) bad(where, std::string("field \"") + key + "\" must be between 0 and 1");
  return v;
}

}  // namespace

ordered_json to_json(const Record& r) {
  ordered_json j;
  j["id"] = r.id;
  j["kind"] = r.kind;
  j["text"] = r.text;
  j["scope"] = r.scope;
  ordered_json src;
  src["conversation"] = r.source.conversation.empty() ? ordered_json(nullptr) : ordered_json(r.source.conversation);
  src["provider"] = r.source.provider.empty() ? ordered_json(nullptr) : ordered_json(r.source.provider);
  src["model"] = r.source.model.empty() ? ordered_json(nullptr) : ordered_json(r.source.model);
  src["time"] = time_or_null(r.source.time);
  j["source"] = src;
  j["created"] = format_time(r.created);
  j["updated"] = format_time(r.updated);
  j["expires"] = time_or_null(r.expires);
  j["confidence"] = r.confidence;
  j["importance"] = r.importance;
  j["tags"] = r.tags;
  ordered_json links = ordered_json::array();
  for (const auto& l : r.links) links.push_back(ordered_json{{"to", l.to}, {"rel", l.rel}});
  j["links"] = links;
  ordered_json hist = ordered_json::array();
  for (const auto& h : r.history)
    hist.push_back(ordered_json{{"at", format_time(h.at)}, {"op", h.op}, {"text", h.text}, {"by", h.by}});
  j["history"] = hist;
  j["deleted"] = r.deleted;
  // Graph fields only where set, so other records serialise as in version 1.
  if (!r.entity.empty()) j["entity"] = r.entity;
  if (!r.entity_type.empty()) j["entity_type"] = r.entity_type;
  if (r.kind == "relation")
    j["relation"] = ordered_json{{"from", r.relation.from}, {"to", r.relation.to}, {"type", r.relation.type}};
  return j;
}

Record record_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) bad(where, "a record must be a JSON object");
  Record r;
  r.id = get_string(j, "id", where, true);
  if (r.id.empty() || r.id.size() > 128) bad(where, "field \"id\" must be 1-128 characters");
  r.kind = get_string(j, "kind", where, true);
  if (!valid_kind(r.kind))
    bad(where, "unknown kind \"" + r.kind + "\" (fact, preference, instruction, task, episode, core, entity, relation)");
  r.text = get_string(j, "text", where, true);
  if (r.text.empty()) bad(where, "field \"text\" is empty");
  r.scope = get_string(j, "scope", where, true);
  if (!valid_scope(r.scope)) bad(where, "bad scope \"" + r.scope + "\" (user, private, agent:<name>, app:<name>, project:<name>)");
  if (auto it = j.find("source"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) bad(where, "field \"source\" must be an object");
    r.source.conversation = get_string(*it, "conversation", where, false);
    r.source.provider = get_string(*it, "provider", where, false);
    r.source.model = get_string(*it, "model", where, false);
    r.source.time = get_time(*it, "time", where, false);
  }
  r.created = get_time(j, "created", where, true);
  r.updated = get_time(j, "updated", where, true);
  r.expires = get_time(j, "expires", where, false);
  r.confidence = get_unit(j, "confidence", 1.0, where);
  r.importance = get_unit(j, "importance", 0.5, where);
  if (auto it = j.find("tags"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) bad(where, "field \"tags\" must be an array of strings");
    for (const auto& t : *it) {
      if (!t.is_string()) bad(where, "field \"tags\" must be an array of strings");
      r.tags.push_back(t.get<std::string>());
    }
  }
  if (auto it = j.find("links"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) bad(where, "field \"links\" must be an array");
    for (const auto& l : *it) {
      if (!l.is_object()) bad(where, "each link must be an object {to, rel}");
      r.links.push_back({get_string(l, "to", where, true), get_string(l, "rel", where, true)});
    }
  }
  if (auto it = j.find("history"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) bad(where, "field \"history\" must be an array");
    for (const auto& h : *it) {
      if (!h.is_object()) bad(where, "each history entry must be an object");
      HistoryEntry e;
      e.at = get_time(h, "at", where, true);
      e.op = get_string(h, "op", where, true);
      e.text = get_string(h, "text", where, false);
      e.by = get_string(h, "by", where, false);
      r.history.push_back(std::move(e));
    }
  }
  if (auto it = j.find("deleted"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) bad(where, "field \"deleted\" must be true or false");
    r.deleted = it->get<bool>();
  }
  r.entity = get_string(j, "entity", where, false);
  r.entity_type = get_string(j, "entity_type", where, false);
  if (r.kind == "entity" && (r.entity.empty() || r.entity_type.empty()))
    bad(where, "an entity record needs \"entity\" (its name) and \"entity_type\"");
  if (r.kind != "entity" && !r.entity_type.empty()) bad(where, "\"entity_type\" belongs on kind entity only");
  if (auto it = j.find("relation"); it != j.end() && !it->is_null()) {
    if (r.kind != "relation") bad(where, "\"relation\" belongs on kind relation only");
    if (!it->is_object()) bad(where, "field \"relation\" must be an object {from, to, type}");
    r.relation = {get_string(*it, "from", where, true), get_string(*it, "to", where, true), get_string(*it, "type", where, true)};
  }
  if (r.kind == "relation" && (r.relation.from.empty() || r.relation.to.empty() || r.relation.type.empty()))
    bad(where, "a relation record needs \"relation\": {from, to, type}, none empty");
  if (r.kind == "relation" && !r.entity.empty()) bad(where, "\"entity\" does not belong on kind relation");
  return r;
}

}  // namespace hearth::memory
