// MCP stdio transport: one JSON-RPC message per line in, one per line out (stdout carries only
// protocol messages; diagnostics go to stderr).
#include <istream>
#include <ostream>

#include "memory/mcp_transport.h"

namespace hearth::memory::mcp {

void serve_stdio(Server& server, std::istream& in, std::ostream& out, size_t max_line) {
  Session session;
  std::string line;
  for (;;) {
    line.clear();
    bool too_long = false, eof = false;
    // Read by character so an endless line costs at most max_line bytes of memory.
    for (;;) {
      int c = in.get();
      if (c == EOF) {
        eof = true;
        break;
      }
      if (c == '\n') break;
      if (line.size() < max_line) line.push_back(static_cast<char>(c));
      else too_long = true;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (too_long) {
      out << dump_message(error_response(nullptr, kInvalidRequest, "message longer than " + std::to_string(max_line) + " bytes"))
          << '\n' << std::flush;
    } else if (line.find_first_not_of(" \t") != std::string::npos) {
      if (auto r = server.handle_text(line, session)) out << dump_message(*r) << '\n' << std::flush;
    }
    if (eof) return;
  }
}

}  // namespace hearth::memory::mcp
