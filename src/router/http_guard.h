// Browser-facing protection shared by every hearth HTTP server (`serve`, `gateway`, `mcp --http`).
// A keyless server on loopback must not be usable by a web page the user happens to visit:
//  - Host (DNS rebinding): when the server listens on loopback, the Host header must name a
//    loopback host (localhost, *.localhost, 127.0.0.1, [::1]) or an allowed origin's host; a page
//    on evil.example that re-points its name at 127.0.0.1 sends Host: evil.example and is refused.
//  - Origin (cross-site requests, including "simple" text/plain POSTs that skip CORS preflight):
//    a request that carries an Origin is served only when that origin is the server's own (same
//    scheme://host:port as Host), a loopback origin, or on the allow-list; others get 403 before
//    any handler runs. Requests without an Origin (curl, SDKs, other programs) are not affected.
//  - CORS headers are sent only to allowed cross-origin callers; preflights are answered here.
// The same rules as Ollama's OLLAMA_ORIGINS / allowed hosts, written for hearth.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
class Server;
}

namespace hearth::router {

struct HttpGuardOptions {
  std::string bind_host = "127.0.0.1";       // where the server listens
  // Extra origins allowed to call from a browser: exact ("https://app.example.com"), a wildcard
  // subdomain ("https://*.example.com"), or "*" for any. Their hosts are also accepted in Host.
  std::vector<std::string> allowed_origins;
  std::string allow_headers = "Authorization, Content-Type, x-api-key, anthropic-version, X-Hearth-Memory";
};

bool is_loopback_host(std::string_view host);  // host without port: localhost, 127.x, ::1, ...

// Why a request with these headers must be refused, or "" when it may proceed.
std::string guard_verdict(const HttpGuardOptions& opts, std::string_view host_header, std::string_view origin_header);
// True when `origin` may receive CORS headers (and call from a browser).
bool origin_allowed(const HttpGuardOptions& opts, std::string_view origin, std::string_view host_header);

// The API key a request presents: "Authorization: Bearer KEY", else the x-api-key header.
std::string presented_key(std::string_view authorization, std::string_view x_api_key);
// Compares a presented key with a secret in time that does not depend on where they differ.
bool key_matches(std::string_view presented, std::string_view secret);

// Installs the checks as `server`'s pre-routing handler (403 with a JSON error naming the
// header), CORS for allowed origins and OPTIONS preflights.
void install_http_guard(httplib::Server& server, const HttpGuardOptions& opts);

// Listen without SO_REUSEPORT, so a second server on a taken port fails to bind instead of
// silently sharing it (httplib's default socket options set SO_REUSEPORT).
void use_exclusive_port(httplib::Server& server);
// The same options for one listening socket (for servers that set their own socket callback).
void exclusive_socket_options(int sock);

}  // namespace hearth::router
