// Model Context Protocol server for the memory store: JSON-RPC 2.0 message handling shared by
// the stdio and Streamable HTTP transports (mcp_stdio.cpp, mcp_http.cpp). Speaks protocol
// revisions 2025-06-18, 2025-03-26 and 2024-11-05; initialize negotiates one per session.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "memory/reconcile.h"
#include "memory/store.h"

namespace hearth::memory::mcp {

// Newest first; the first is what a server proposes when the client asks for an unknown one.
const std::vector<std::string>& supported_versions();
bool is_supported_version(const std::string& v);

// JSON-RPC 2.0 error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kInternalError = -32603;

json error_response(const json& id, int code, const std::string& message);
// Serialises a message on one line; invalid UTF-8 from the peer is replaced, never thrown on.
std::string dump_message(const json& j);

// Per-connection state (one per stdio process, one per Mcp-Session-Id over HTTP).
struct Session {
  std::string protocol_version;  // empty until initialize succeeded
  bool initialized = false;      // notifications/initialized received
  std::string client_name;
};

struct ServerInfo {
  std::string name = "hearth-memory";
  std::string version = "0";
  std::string by = "mcp";  // recorded as the author of changes ("mcp:<client>" when known)
  std::string graph_scope = "user";  // the scope whose records the knowledge-graph tools read and write
};

class Server {
 public:
  // `store` must outlive the server; Store is thread-safe, so transports may call handle()
  // from several threads.
  Server(Store& store, ServerInfo info) : store_(store), info_(std::move(info)) {}

  // Handles one parsed JSON-RPC message (or a batch array where the session's revision allows
  // it). Returns the response to send, or nullopt for notifications and client responses.
  std::optional<json> handle(const json& message, Session& session);
  // Parses and handles one line/body of text; malformed JSON yields a parse error response.
  std::optional<json> handle_text(const std::string& text, Session& session);

  // The tool catalogue as tools/list returns it for `version`.
  json tools(const std::string& version) const;

  // How memory_add reconciles (a model deciding, RememberOptions); unset: the rules. Set before
  // serving.
  void set_remember(std::function<RememberOptions()> how) { remember_ = std::move(how); }

 private:
  json handle_one(const json& msg, Session& session, bool* is_notification);
  json initialize(const json& params, Session& session);
  json call_tool(const json& params, const Session& session);
  json run_tool(const std::string& name, const json& args, const Session& session);

  Store& store_;
  ServerInfo info_;
  std::function<RememberOptions()> remember_;
};

}  // namespace hearth::memory::mcp
