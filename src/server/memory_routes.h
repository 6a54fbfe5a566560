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
#include <functional>
#include <string>

#include "memory/reconcile.h"
#include "memory/store.h"

namespace httplib {
class Server;
struct Request;
}

namespace hearth::server {

inline constexpr const char* kMemoryApiPrefix = "/api/hearth/memory";

struct MemoryRouteOptions {
  std::string prefix = kMemoryApiPrefix;
  std::string by = "web";  // edits are attributed to this in each record's history
  // When set, a request it refuses gets 401 before touching the store (the server's API keys:
  // memories are personal data).
  std::function<bool(const httplib::Request&)> authorize;
  // How an add is reconciled (a model deciding, and what it may see); unset: the rules.
  std::function<memory::RememberOptions()> remember;
};

// `store` must outlive the server.
void mount_memory_routes(httplib::Server& server, memory::Store& store, const MemoryRouteOptions& opts = {});

}  // namespace hearth::server
