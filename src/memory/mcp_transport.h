// MCP transports: newline-delimited JSON-RPC over stdio, and Streamable HTTP (one endpoint, /mcp:
// POST carries client messages and answers with JSON or a one-event SSE stream, DELETE ends a
// session, GET is refused with 405 because this server never pushes unsolicited messages).
#pragma once
#include <cstddef>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "memory/mcp.h"

namespace httplib {
class Server;
}

namespace hearth::memory::mcp {

// Reads one message per line until EOF, writing each response as one line. Lines longer than
// `max_line` bytes are answered with a JSON-RPC error and skipped.
void serve_stdio(Server& server, std::istream& in, std::ostream& out, size_t max_line = 8u << 20);

struct HttpOptions {
  std::string bind_host = "127.0.0.1";  // on loopback, Host must name a loopback host
  // Browser origins allowed besides loopback ones (http(s)://localhost|127.0.0.1|[::1][:port]).
  // Requests without an Origin header (non-browser clients) are always allowed.
  std::vector<std::string> allowed_origins;
  bool sse = false;  // answer POSTs with text/event-stream even when JSON is acceptable
  size_t max_sessions = 256;  // oldest sessions are dropped beyond this
  std::string path = "/mcp";
  // When set, every request must present it (Authorization: Bearer KEY or x-api-key): 401
  // otherwise, checked after Host/Origin and before anything else.
  std::string api_key;
};

class HttpTransport {
 public:
  HttpTransport(Server& server, HttpOptions opts) : server_(server), opts_(std::move(opts)) {}
  // Registers POST/GET/DELETE handlers for opts.path; `http` must not outlive this object.
  void mount(httplib::Server& http);
  size_t session_count();

 private:
  struct Slot {
    std::mutex mu;
    Session session;
    uint64_t created = 0;
  };
  std::shared_ptr<Slot> find(const std::string& id);
  std::string open_session(std::shared_ptr<Slot> slot);

  Server& server_;
  HttpOptions opts_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Slot>> sessions_;
  uint64_t counter_ = 0;
};

}  // namespace hearth::memory::mcp
