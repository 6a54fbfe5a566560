// Importers for other assistants' exports. Each turns a file into records: conversations
// become "episode" records (one per message, searchable, deterministic ids so re-importing is
// idempotent); the MCP memory server's knowledge graph becomes graph records (graph.h).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "memory/record.h"

namespace hearth::memory {

// "hearth", "chatgpt", "claude", "mcp-jsonl" or "jsonl"; throws Errc::format when unknown.
std::string detect_format(std::string_view text, const std::string& name);

// format is one of the non-hearth names above. Errors name the file and line.
std::vector<Record> import_foreign(const std::string& format, std::string_view text, const std::string& name);

// Splits each record whose text is longer than `max_bytes` into consecutive parts that fit (at
// character boundaries, preferring a space): an imported message longer than a memory may be is
// kept whole across parts instead of refusing the file. Part k > 1 gets the id "ID~k" (stable, so
// re-importing stays idempotent), the same metadata, and the tag "continued".
void split_oversized(std::vector<Record>& recs, size_t max_bytes);

std::vector<Record> import_chatgpt(std::string_view text, const std::string& name);
std::vector<Record> import_claude(std::string_view text, const std::string& name);
std::vector<Record> import_mcp_jsonl(std::string_view text, const std::string& name);
std::vector<Record> import_chat_jsonl(std::string_view text, const std::string& name);

}  // namespace hearth::memory
