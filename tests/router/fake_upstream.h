// A scripted fake provider on 127.0.0.1 for router tests: an httplib server on a free port in
// its own thread. Each test installs handlers that speak one real wire format, including
// errors, rate limits, dropped connections and slow first bytes.
#pragma once
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "router/http_pool.h"
#include "support/listen.h"

namespace hearth::test {

class FakeUpstream {
 public:
  FakeUpstream() {
    server_.set_tcp_nodelay(true);  // replies must not wait for the client's delayed ACK
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = hearth::test::listen_in_background(server_);
  }
  ~FakeUpstream() {
    // Pooled keep-alive clients would hold the server's threads for its keep-alive timeout.
    router::ConnectionPool::close_all_idle();
    server_.stop();
    thread_.join();
  }
  httplib::Server& server() { return server_; }
  std::string url(const std::string& prefix = "") const { return "http://127.0.0.1:" + std::to_string(port_) + prefix; }
  int port() const { return port_; }
  std::atomic<int> hits{0};
  std::vector<std::string> bodies;  // request bodies seen (guarded by mu)
  std::mutex mu;
  void record(const httplib::Request& r) {
    ++hits;
    std::lock_guard<std::mutex> lk(mu);
    bodies.push_back(r.body);
  }
  std::string last_body() {
    std::lock_guard<std::mutex> lk(mu);
    return bodies.empty() ? "" : bodies.back();
  }

  // Streams `frames` as a chunked body; with drop_after >= 0 the connection is cut after that
  // many frames (no terminating chunk).
  static void stream(httplib::Response& res, const std::string& type, std::vector<std::string> frames, int drop_after = -1) {
    res.set_chunked_content_provider(type, [frames, drop_after](size_t, httplib::DataSink& sink) {
      for (size_t i = 0; i < frames.size(); ++i) {
        if (drop_after >= 0 && static_cast<int>(i) == drop_after) return false;  // cut the connection
        if (!sink.write(frames[i].data(), frames[i].size())) return false;
      }
      sink.done();
      return true;
    });
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace hearth::test
