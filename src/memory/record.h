// One memory record as hearth stores and exchanges it (docs/memory-format.md). Times are Unix
// milliseconds in memory and RFC 3339 UTC strings with millisecond precision in bundles, so a
// bundle re-exported after import is byte-identical.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"

namespace hearth::memory {

// Kinds and scopes accepted by the format; scopes are "user", "private", "agent:<name>",
// "app:<name>" or "project:<name>".
bool valid_kind(const std::string& kind);
bool valid_scope(const std::string& scope);

struct Source {
  std::string conversation;  // conversation id or title it came from, may be empty
  std::string provider;      // e.g. "local", "openai", "import:chatgpt", "cli"
  std::string model;         // model that produced or extracted it, may be empty
  int64_t time = 0;          // when the source statement was made (ms); 0 = unknown
  bool operator==(const Source&) const = default;
};

struct Link {
  std::string to;   // id of another record
  std::string rel;  // relation, e.g. "supersedes", "related", "works_at"
  bool operator==(const Link&) const = default;
};

// One past state: what the record said before an edit, delete or restore.
struct HistoryEntry {
  int64_t at = 0;       // when the change happened (ms)
  std::string op;       // "update", "delete", "restore"
  std::string text;     // the text before the change
  std::string by;       // who changed it: "cli", "extraction", "mcp", "import", ...
  bool operator==(const HistoryEntry&) const = default;
};

// A knowledge-graph relation (format version 2): `from` --type--> `to`, entity names.
struct Relation {
  std::string from, to, type;
  bool operator==(const Relation&) const = default;
};

struct Record {
  std::string id;
  std::string kind = "fact";
  std::string text;
  std::string scope = "user";
  Source source;
  int64_t created = 0;
  int64_t updated = 0;
  int64_t expires = 0;  // 0 = never
  double confidence = 1.0;
  double importance = 0.5;
  std::vector<std::string> tags;
  std::vector<Link> links;
  std::vector<HistoryEntry> history;
  bool deleted = false;  // tombstone, kept until purge
  // Knowledge graph (format version 2; docs/memory-format.md): kind "entity" is one entity
  // (`entity` its name, `entity_type` its type), a record with `entity` set and another kind is
  // an observation about that entity, kind "relation" is one relation.
  std::string entity, entity_type;
  Relation relation;
  bool operator==(const Record&) const = default;
};

int64_t now_ms();
std::string new_id();  // "m_" + 24 lowercase hex chars from a CSPRNG
// prefix + 24 hex chars of a hash of `key`: the same origin always gets the same id (imports,
// graph records), so writing it again replaces instead of duplicating.
std::string stable_id(const std::string& prefix, const std::string& key);

std::string format_time(int64_t ms);  // "2026-11-24T11:40:02.123Z"
// Accepts RFC 3339 with any fraction and a Z or +hh:mm offset; throws Errc::format.
int64_t parse_time(const std::string& text);

// Fixed key order so that serialising is deterministic.
ordered_json to_json(const Record& r);
// Validates every field; `where` prefixes error messages (e.g. "bundle.jsonl:12").
Record record_from_json(const json& j, const std::string& where);

}  // namespace hearth::memory
