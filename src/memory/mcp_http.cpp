// MCP Streamable HTTP transport (revisions 2025-03-26 / 2025-06-18; 2024-11-05 clients use stdio
// or this endpoint the same way). Sessions are created by initialize and named by the
// Mcp-Session-Id header; browser Origins other than loopback and Hosts other than localhost names
// are refused (router/http_guard.h: cross-site pages and DNS rebinding).
#include <httplib.h>
#include <sodium.h>

#include <algorithm>

#include "memory/mcp_transport.h"
#include "router/http_guard.h"

namespace hearth::memory::mcp {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump_message(body), "application/json");
}

std::string random_session_id() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

bool is_initialize(const json& msg) {
  return msg.is_object() && msg.contains("method") && msg["method"] == "initialize";
}

}  // namespace

size_t HttpTransport::session_count() {
  std::lock_guard lk(mu_);
  return sessions_.size();
}

std::shared_ptr<HttpTransport::Slot> HttpTransport::find(const std::string& id) {
  std::lock_guard lk(mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

std::string HttpTransport::open_session(std::shared_ptr<Slot> slot) {
  std::lock_guard lk(mu_);
  while (sessions_.size() >= std::max<size_t>(1, opts_.max_sessions)) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                   [](const auto& a, const auto& b) { return a.second->created < b.second->created; });
    sessions_.erase(oldest);
  }
  slot->created = ++counter_;
  std::string id = random_session_id();
  sessions_[id] = std::move(slot);
  return id;
}

void HttpTransport::mount(httplib::Server& http) {
  // The Host and Origin rules of every hearth server (router/http_guard.h).
  router::HttpGuardOptions guard;
  guard.bind_host = opts_.bind_host;
  guard.allowed_origins = opts_.allowed_origins;
  // Answers 403 and returns false when the request's Host or Origin is refused.
  auto origin_ok = [guard](const httplib::Request& req, httplib::Response& res) {
    const std::string why = router::guard_verdict(guard, req.get_header_value("Host"), req.get_header_value("Origin"));
    if (why.empty()) return true;
    reply(res, 403, error_response(nullptr, kInvalidRequest, why + " (hearth mcp --allow-origin)"));
    return false;
  };
  auto allowed = [origin_ok, key = opts_.api_key](const httplib::Request& req, httplib::Response& res) {
    if (!origin_ok(req, res)) return false;
    if (key.empty() ||
        router::key_matches(router::presented_key(req.get_header_value("Authorization"), req.get_header_value("x-api-key")), key))
      return true;
    res.set_header("WWW-Authenticate", "Bearer");
    reply(res, 401, error_response(nullptr, kInvalidRequest, "missing or invalid API key (Authorization: Bearer KEY)"));
    return false;
  };

  http.Post(opts_.path, [this, allowed](const httplib::Request& req, httplib::Response& res) {
    if (!allowed(req, res)) return;
    std::string accept = lower(req.get_header_value("Accept"));
    bool accepts_json = accept.empty() || accept.find("application/json") != std::string::npos ||
                        accept.find("*/*") != std::string::npos;
    bool accepts_sse = accept.find("text/event-stream") != std::string::npos;
    if (!accepts_json && !accepts_sse)
      return reply(res, 406, error_response(nullptr, kInvalidRequest,
                                            "Accept must include application/json or text/event-stream"));
    if (req.has_header("MCP-Protocol-Version") && !is_supported_version(req.get_header_value("MCP-Protocol-Version")))
      return reply(res, 400, error_response(nullptr, kInvalidRequest,
                                            "unsupported MCP-Protocol-Version \"" +
                                                req.get_header_value("MCP-Protocol-Version") + "\""));
    json msg;
    try {
      msg = json::parse(req.body);
    } catch (const json::exception& e) {
      return reply(res, 400, error_response(nullptr, kParseError, std::string("parse error: ") + e.what()));
    }

    std::shared_ptr<Slot> slot;
    std::string session_id;
    if (is_initialize(msg)) {
      slot = std::make_shared<Slot>();
    } else {
      if (!req.has_header("Mcp-Session-Id"))
        return reply(res, 400, error_response(nullptr, kInvalidRequest, "missing Mcp-Session-Id header (send initialize first)"));
      session_id = req.get_header_value("Mcp-Session-Id");
      slot = find(session_id);
      if (!slot) return reply(res, 404, error_response(nullptr, kInvalidRequest, "unknown or expired Mcp-Session-Id"));
    }

    std::optional<json> answer;
    {
      std::lock_guard lk(slot->mu);
      answer = server_.handle(msg, slot->session);
    }
    if (is_initialize(msg)) {
      // Only a successful initialize opens a session.
      if (!answer) return reply(res, 400, error_response(nullptr, kInvalidRequest, "initialize must be a request with an id"));
      if (!answer->contains("result")) return reply(res, 400, *answer);
      session_id = open_session(slot);
    }
    if (!session_id.empty()) res.set_header("Mcp-Session-Id", session_id);
    if (!answer) {  // only notifications or responses: accepted, nothing to say
      res.status = 202;
      return;
    }
    if (answer->is_object() && answer->contains("error") && (*answer)["id"].is_null())
      return reply(res, 400, *answer);  // the message itself was unusable
    bool sse = accepts_sse && (opts_.sse || !accepts_json);
    res.status = 200;
    if (sse) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content("event: message\ndata: " + dump_message(*answer) + "\n\n", "text/event-stream");
    } else {
      res.set_content(dump_message(*answer), "application/json");
    }
  });

  http.Get(opts_.path, [allowed](const httplib::Request& req, httplib::Response& res) {
    if (!allowed(req, res)) return;
    // This server has nothing to push outside a request, so it offers no standalone stream.
    res.set_header("Allow", "POST, DELETE");
    reply(res, 405, error_response(nullptr, kInvalidRequest, "GET stream not offered; POST messages to this endpoint"));
  });

  http.Delete(opts_.path, [this, allowed](const httplib::Request& req, httplib::Response& res) {
    if (!allowed(req, res)) return;
    std::string id = req.get_header_value("Mcp-Session-Id");
    std::lock_guard lk(mu_);
    if (id.empty() || !sessions_.erase(id))
      return reply(res, 404, error_response(nullptr, kInvalidRequest, "unknown or expired Mcp-Session-Id"));
    res.status = 200;
  });
}

}  // namespace hearth::memory::mcp
