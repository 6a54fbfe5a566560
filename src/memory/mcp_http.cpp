// MCP Streamable HTTP transport (revisions 2025-03-26 / 2025-06-18; 2024-11-05 clients use stdio
// or this endpoint the same way). Sessions are created by initialize and named by the
// Mcp-Session-Id header; browser Origins other than loopback are refused (DNS rebinding).
#include <httplib.h>
#include <sodium.h>

#include <algorithm>

#include "memory/mcp_transport.h"

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

bool is_loopback_origin(const std::string& origin_in) {
  std::string o = lower(origin_in);
  std::string rest;
  if (o.rfind("http://", 0) == 0) rest = o.substr(7);
  else if (o.rfind("https://", 0) == 0) rest = o.substr(8);
  else return false;
  std::string host;
  if (!rest.empty() && rest[0] == '[') {
    size_t e = rest.find(']');
    if (e == std::string::npos) return false;
    host = rest.substr(0, e + 1);
    rest = rest.substr(e + 1);
  } else {
    size_t e = rest.find(':');
    host = rest.substr(0, e);
    rest = e == std::string::npos ? "" : rest.substr(e);
  }
  if (host != "localhost" && host != "127.0.0.1" && host != "[::1]") return false;
  if (rest.empty()) return true;
  if (rest[0] != ':' || rest.size() < 2 || rest.size() > 6) return false;
  return std::all_of(rest.begin() + 1, rest.end(), [](char c) { return c >= '0' && c <= '9'; });
}

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
  auto origin_ok = [this](const httplib::Request& req) {
    if (!req.has_header("Origin")) return true;
    std::string o = req.get_header_value("Origin");
    if (is_loopback_origin(o)) return true;
    return std::find(opts_.allowed_origins.begin(), opts_.allowed_origins.end(), o) != opts_.allowed_origins.end();
  };
  auto forbidden = [](httplib::Response& res) {
    reply(res, 403, error_response(nullptr, kInvalidRequest, "Origin not allowed (start hearth mcp with --allow-origin)"));
  };

  http.Post(opts_.path, [this, origin_ok, forbidden](const httplib::Request& req, httplib::Response& res) {
    if (!origin_ok(req)) return forbidden(res);
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

  http.Get(opts_.path, [origin_ok, forbidden](const httplib::Request& req, httplib::Response& res) {
    if (!origin_ok(req)) return forbidden(res);
    // This server has nothing to push outside a request, so it offers no standalone stream.
    res.set_header("Allow", "POST, DELETE");
    reply(res, 405, error_response(nullptr, kInvalidRequest, "GET stream not offered; POST messages to this endpoint"));
  });

  http.Delete(opts_.path, [this, origin_ok, forbidden](const httplib::Request& req, httplib::Response& res) {
    if (!origin_ok(req)) return forbidden(res);
    std::string id = req.get_header_value("Mcp-Session-Id");
    std::lock_guard lk(mu_);
    if (id.empty() || !sessions_.erase(id))
      return reply(res, 404, error_response(nullptr, kInvalidRequest, "unknown or expired Mcp-Session-Id"));
    res.status = 200;
  });
}

}  // namespace hearth::memory::mcp
