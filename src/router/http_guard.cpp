#include "router/http_guard.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

#include "core/json.h"

namespace hearth::router {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "host:port", "[::1]:port" or "host" -> host (brackets removed).
std::string host_of(std::string_view hostport) {
  std::string h = lower(hostport);
  if (!h.empty() && h[0] == '[') {
    const size_t close = h.find(']');
    return close == std::string::npos ? h : h.substr(1, close - 1);
  }
  const size_t colon = h.find(':');
  if (colon != std::string::npos && h.find(':', colon + 1) == std::string::npos) h.resize(colon);
  return h;
}

struct Origin {
  std::string scheme, hostport, host;
  bool ok = false;
};

Origin parse_origin(std::string_view origin) {
  Origin o;
  const std::string s = lower(origin);
  const size_t sep = s.find("://");
  if (sep == std::string::npos || sep == 0) return o;
  o.scheme = s.substr(0, sep);
  o.hostport = s.substr(sep + 3);
  while (!o.hostport.empty() && o.hostport.back() == '/') o.hostport.pop_back();
  if (o.hostport.empty() || o.hostport.find('/') != std::string::npos) return o;
  o.host = host_of(o.hostport);
  // Whatever follows the host must be ":port" with 1-5 digits.
  const size_t host_end = o.hostport[0] == '[' ? o.hostport.find(']') + 1 : o.host.size();
  const std::string rest = o.hostport.substr(std::min(host_end, o.hostport.size()));
  if (!rest.empty() && (rest[0] != ':' || rest.size() < 2 || rest.size() > 6 ||
                        rest.find_first_not_of("0123456789", 1) != std::string::npos))
    return o;
  o.ok = !o.host.empty();
  return o;
}

bool matches_pattern(const std::string& pattern, const Origin& o) {
  if (pattern == "*") return true;
  const Origin p = parse_origin(pattern);
  if (!p.ok || p.scheme != o.scheme) return false;
  if (p.hostport.rfind("*.", 0) == 0) {  // https://*.example.com
    const std::string suffix = p.hostport.substr(1);
    return o.hostport.size() > suffix.size() &&
           o.hostport.compare(o.hostport.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  return p.hostport == o.hostport;
}

bool allowed_by_list(const HttpGuardOptions& opts, const Origin& o) {
  return std::any_of(opts.allowed_origins.begin(), opts.allowed_origins.end(),
                     [&](const std::string& p) { return matches_pattern(lower(p), o); });
}

bool host_allowed_by_list(const HttpGuardOptions& opts, const std::string& host) {
  for (const auto& p : opts.allowed_origins) {
    if (p == "*") return true;
    const Origin po = parse_origin(p);
    if (!po.ok) continue;
    if (po.host == host) return true;
    if (po.host.rfind("*.", 0) == 0) {
      const std::string suffix = po.host.substr(1);
      if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0)
        return true;
    }
  }
  return false;
}

}  // namespace

bool is_loopback_host(std::string_view host_in) {
  const std::string host = lower(host_in);
  if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  if (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0) return true;
  return host.rfind("127.", 0) == 0 && host.find_first_not_of("0123456789.") == std::string::npos;
}

bool origin_allowed(const HttpGuardOptions& opts, std::string_view origin, std::string_view host_header) {
  const Origin o = parse_origin(origin);
  // "null" (sandboxed frames, file: pages) and other opaque origins: only when any origin is.
  if (!o.ok) return std::find(opts.allowed_origins.begin(), opts.allowed_origins.end(), "*") != opts.allowed_origins.end();
  if (o.scheme != "http" && o.scheme != "https") return allowed_by_list(opts, o);
  if (!host_header.empty() && o.hostport == lower(host_header)) return true;  // same origin
  if (is_loopback_host(o.host)) return true;
  return allowed_by_list(opts, o);
}

std::string guard_verdict(const HttpGuardOptions& opts, std::string_view host_header, std::string_view origin_header) {
  if (is_loopback_host(host_of(opts.bind_host)) && !host_header.empty()) {
    const std::string host = host_of(host_header);
    if (!is_loopback_host(host) && !host_allowed_by_list(opts, host))
      return "Host '" + std::string(host_header) +
             "' is not this server's: it listens on loopback, so only localhost names are accepted "
             "(a page re-pointing its own name at 127.0.0.1 is refused; allow one with --allowed-origins)";
  }
  if (!origin_header.empty() && !origin_allowed(opts, origin_header, host_header))
    return "Origin '" + std::string(origin_header) +
           "' may not use this server from a browser (allow it with --allowed-origins)";
  return "";
}

void install_http_guard(httplib::Server& server, const HttpGuardOptions& opts) {
  server.set_pre_routing_handler([opts](const httplib::Request& req, httplib::Response& res) {
    const std::string origin = req.get_header_value("Origin");
    const std::string host = req.get_header_value("Host");
    const std::string why = guard_verdict(opts, host, origin);
    if (!why.empty()) {
      res.status = 403;
      res.set_content(json{{"error", {{"message", why}, {"type", "permission_error"}, {"code", 403}}}}.dump(),
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!origin.empty()) {
      const bool any = std::find(opts.allowed_origins.begin(), opts.allowed_origins.end(), "*") != opts.allowed_origins.end();
      res.set_header("Access-Control-Allow-Origin", any ? "*" : origin);
      res.set_header("Vary", "Origin");
      res.set_header("Access-Control-Allow-Headers", opts.allow_headers);
      res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    }
    if (req.method == "OPTIONS") {
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

void exclusive_socket_options(int sock) {
  int yes = 1;
  // SO_REUSEADDR only: a restart may rebind while old connections sit in TIME_WAIT, but a second
  // live listener on the port is refused (EADDRINUSE).
  ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

void use_exclusive_port(httplib::Server& server) { server.set_socket_options(exclusive_socket_options); }

std::string presented_key(std::string_view authorization, std::string_view x_api_key) {
  if (authorization.substr(0, 7) == "Bearer " && authorization.size() > 7) return std::string(authorization.substr(7));
  return std::string(x_api_key);
}

bool key_matches(std::string_view presented, std::string_view secret) {
  if (secret.empty() || presented.size() != secret.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < secret.size(); ++i) diff |= static_cast<unsigned char>(presented[i] ^ secret[i]);
  return diff == 0;
}

}  // namespace hearth::router
