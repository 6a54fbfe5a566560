// The HTTP client every remote provider uses: JSON POST with a streamed body, GET, upstream
// error bodies mapped to the error model, transport failures to network/timeout errors.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::router {

struct Endpoint {
  std::string origin;  // scheme://host[:port]
  std::string prefix;  // path prefix without trailing slash, e.g. "/v1"
};
// Throws ProviderError(bad_request) for anything that is not http(s)://host[:port][/path].
Endpoint parse_base_url(const std::string& url);

struct HttpOptions {
  int connect_timeout_ms = 5000;
  int read_timeout_ms = 120000;  // also bounds the wait for the first byte
  int max_idle_connections = 256;  // keep-alive connections kept per upstream; 0 = close after each request
};

using Headers = std::vector<std::pair<std::string, std::string>>;
// Receives body bytes of a 2xx response; return false to cancel.
using BodySink = std::function<bool(std::string_view)>;

// POSTs `body`; a 2xx body streams into `sink`, anything else throws error_from_http with the
// upstream's own message. Transport failures throw network / timeout errors.
void http_post(const Endpoint& ep, const std::string& path, const Headers& headers,
               const std::string& body, const HttpOptions& opts, const BodySink& sink);
// POSTs `body` and returns the whole 2xx response body; more than `limit` bytes is an error.
std::string http_post_collect(const Endpoint& ep, const std::string& path, const Headers& headers,
                              const std::string& body, const HttpOptions& opts, size_t limit = 64u << 20);
// GET returning the whole 2xx body (bounded to 64 MiB).
std::string http_get(const Endpoint& ep, const std::string& path, const Headers& headers,
                     const HttpOptions& opts);

// Pulls a readable message out of an upstream error body (JSON or text).
std::string upstream_error_message(const std::string& body);

}  // namespace hearth::router
