#include "router/http.h"

#include <httplib.h>

#include <chrono>

#include "core/json.h"
#include "router/http_pool.h"
#include "router/types.h"

namespace hearth::router {

Endpoint parse_base_url(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    throw ProviderError(ErrorKind::bad_request, "base_url '" + url + "' must start with http:// or https://");
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https")
    throw ProviderError(ErrorKind::bad_request, "base_url '" + url + "': unsupported scheme '" + scheme + "'");
  auto path_start = url.find('/', scheme_end + 3);
  Endpoint ep;
  ep.origin = url.substr(0, path_start);
  if (ep.origin.size() <= scheme_end + 3)
    throw ProviderError(ErrorKind::bad_request, "base_url '" + url + "' has no host");
  if (path_start != std::string::npos) ep.prefix = url.substr(path_start);
  while (!ep.prefix.empty() && ep.prefix.back() == '/') ep.prefix.pop_back();
  return ep;
}

std::string upstream_error_message(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_discarded()) {
    if (j.is_array() && !j.empty()) j = j[0];  // Gemini sometimes wraps errors in an array
    if (j.is_object()) {
      if (j.contains("error")) {
        const auto& e = j["error"];
        if (e.is_string()) return e.get<std::string>();
        if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"];
      }
      if (j.contains("message") && j["message"].is_string()) return j["message"];
    }
  }
  return body.substr(0, 500);
}

namespace {

double parse_retry_after(const httplib::Response& res) {
  if (res.has_header("retry-after-ms")) {
    try { return std::stod(res.get_header_value("retry-after-ms")) / 1000.0; } catch (...) {}
  }
  if (res.has_header("retry-after")) {
    try { return std::stod(res.get_header_value("retry-after")); } catch (...) {}  // HTTP-date: ignored
  }
  return 0;
}

[[noreturn]] void transport_error(httplib::Error e, const Endpoint& ep, double elapsed_ms, const HttpOptions& o) {
  std::string what = httplib::to_string(e);
  if (e == httplib::Error::Canceled) throw ProviderError(ErrorKind::cancelled, "request cancelled by the client");
  if (e == httplib::Error::ConnectionTimeout || (e == httplib::Error::Read && elapsed_ms >= o.read_timeout_ms * 0.9))
    throw ProviderError(ErrorKind::timeout, ep.origin + ": timed out (" + what + ")");
  throw ProviderError(ErrorKind::network, ep.origin + ": " + what);
}

// A pooled connection the upstream closed while it sat idle fails the next request before any
// response byte arrives (EOF or reset while writing or awaiting the status line). Only then is
// the request sent again, once, on a new connection: the upstream closed that connection without
// answering, so it has not processed the request, and nothing has reached our caller. Timeouts
// and failures on a fresh connection are never retried here (the router's policy decides).
bool stale_connection(const ConnectionPool::Lease& lease, httplib::Error err, int status, double elapsed_ms,
                      const HttpOptions& o) {
  if (!lease.reused || status != 0) return false;
  if (err != httplib::Error::Read && err != httplib::Error::Write) return false;
  return elapsed_ms < o.read_timeout_ms * 0.9;
}

}  // namespace

void http_post(const Endpoint& ep, const std::string& path, const Headers& headers,
               const std::string& body, const HttpOptions& opts, const BodySink& sink) {
  auto& pool = ConnectionPool::get(ep, opts);
  for (int attempt = 0;; ++attempt) {
    auto lease = pool.checkout();
    httplib::Request req;
    req.method = "POST";
    req.path = ep.prefix + path;
    for (const auto& [k, v] : headers) req.headers.emplace(k, v);
    req.headers.emplace("Content-Type", "application/json");
    req.body = body;
    int status = 0;
    std::string err_body;
    bool sink_cancelled = false;
    std::exception_ptr sink_error;  // thrown by the sink; rethrown once httplib has unwound
    req.response_handler = [&](const httplib::Response& r) {
      status = r.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
      if (status >= 200 && status < 300) {
        try {
          if (!sink(std::string_view(data, len))) {
            sink_cancelled = true;
            return false;
          }
        } catch (...) {
          sink_error = std::current_exception();
          return false;
        }
        return true;
      }
      if (err_body.size() < (1 << 20)) err_body.append(data, len);
      return true;
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    auto t0 = std::chrono::steady_clock::now();
    bool ok = lease.client->send(req, res, err);
    double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (sink_error) std::rethrow_exception(sink_error);
    if (sink_cancelled) throw ProviderError(ErrorKind::cancelled, "request cancelled by the client");
    if (!ok) {
      if (attempt == 0 && stale_connection(lease, err, status, elapsed, opts)) continue;
      transport_error(err, ep, elapsed, opts);
    }
    pool.give_back(std::move(lease.client));  // a complete exchange, error statuses included
    if (res.status < 200 || res.status >= 300)
      throw error_from_http(res.status, upstream_error_message(err_body), parse_retry_after(res));
    return;
  }
}

std::string http_post_collect(const Endpoint& ep, const std::string& path, const Headers& headers,
                              const std::string& body, const HttpOptions& opts, size_t limit) {
  std::string out;
  bool too_big = false;
  http_post(ep, path, headers, body, opts, [&](std::string_view d) {
    out.append(d);
    too_big = out.size() > limit;
    return !too_big;
  });
  if (too_big)
    throw ProviderError(ErrorKind::server, ep.origin + ep.prefix + path + ": response larger than " +
                                               std::to_string(limit >> 20) + " MiB");
  return out;
}

std::string http_get(const Endpoint& ep, const std::string& path, const Headers& headers,
                     const HttpOptions& opts) {
  auto& pool = ConnectionPool::get(ep, opts);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  for (int attempt = 0;; ++attempt) {
    auto lease = pool.checkout();
    auto t0 = std::chrono::steady_clock::now();
    auto res = lease.client->Get((ep.prefix + path).c_str(), h);
    double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!res) {
      if (attempt == 0 && stale_connection(lease, res.error(), 0, elapsed, opts)) continue;
      transport_error(res.error(), ep, elapsed, opts);
    }
    pool.give_back(std::move(lease.client));
    if (res->status < 200 || res->status >= 300)
      throw error_from_http(res->status, upstream_error_message(res->body), parse_retry_after(*res));
    if (res->body.size() > (64u << 20)) throw ProviderError(ErrorKind::server, ep.origin + ": response too large");
    return res->body;
  }
}

}  // namespace hearth::router
