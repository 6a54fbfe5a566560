// Keep-alive connections to one upstream, reused across requests: a proxied request should not
// pay a TCP (and TLS) handshake, and under load a fresh connection per request exhausts
// ephemeral ports. Thread-safe: a client is checked out by one request at a time and returned
// only after a clean exchange.
#pragma once
#include <httplib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "router/http.h"

namespace hearth::router {

class ConnectionPool {
 public:
  struct Lease {
    std::unique_ptr<httplib::Client> client;
    bool reused = false;  // its socket was already open: it may have been closed by the peer meanwhile
  };

  // The pool for this origin and these options (timeouts and pool size are per client).
  static ConnectionPool& get(const Endpoint& ep, const HttpOptions& opts);

  ConnectionPool(Endpoint ep, HttpOptions opts) : ep_(std::move(ep)), opts_(opts) {}
  // An idle client whose socket still looks alive, or a new one.
  Lease checkout();
  // Call only after a complete, successful exchange; the pool keeps at most max_idle clients.
  void give_back(std::unique_ptr<httplib::Client> c);
  size_t idle_count();
  // Closes every idle connection of every pool (a server being shut down sees them go at once
  // instead of waiting out its keep-alive timeout).
  static void close_all_idle();

 private:
  struct Idle {
    std::unique_ptr<httplib::Client> client;
    std::chrono::steady_clock::time_point since;
  };
  std::unique_ptr<httplib::Client> make() const;
  Endpoint ep_;
  HttpOptions opts_;
  std::mutex mu_;
  std::vector<Idle> idle_;  // most recently returned last (LIFO: the warmest socket first)
};

}  // namespace hearth::router
