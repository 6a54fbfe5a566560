// JSON REST API over the memory store for the web UI, mounted by `hearth serve`:
//   GET    {prefix}?scope=&kind=&tag=&limit=&offset=&deleted=1   {"memories": [record...]}
//   GET    {prefix}/search?q=&limit=&mode=&scope=&kind=&tag=     {"results": [{"memory", "score", ..., "why"}]}
//   GET    {prefix}/{id}                                         record (404 when unknown)
//   POST   {prefix}        {"text", "kind"?, "scope"?, "tags"?, "importance"?, "confidence"?, "expires"?} -> 201 record
//   PATCH  {prefix}/{id}   any of those fields                   the edited record
//   DELETE {prefix}/{id}                                         the tombstoned record (undoable)
//   POST   {prefix}/undo                                         {"undone": [ids]}
// Records use the bundle format's JSON (docs/memory-format.md). Errors are
// {"error": {"message", "type"}} with 400, 404 or 500.
#pragma once
#include <string>

#include "memory/store.h"

namespace httplib {
class Server;
}

namespace hearth::memory {

inline constexpr const char* kMemoryApiPrefix = "/api/hearth/memory";

// `store` must outlive the server. Edits are attributed to `by` in each record's history.
void mount_routes(httplib::Server& server, Store& store, const std::string& prefix = kMemoryApiPrefix,
                  const std::string& by = "web");

}  // namespace hearth::memory
