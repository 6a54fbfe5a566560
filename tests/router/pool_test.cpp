// Upstream connection reuse: keep-alive clients come back to a bounded per-upstream pool, and a
// pooled connection the upstream closed is retried once on a new one only when the request cannot
// have been processed. The fakes count accepted TCP connections.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "fake_upstream.h"
#include "router/http.h"
#include "router/http_pool.h"
#include "router/types.h"

using namespace hearth;
using namespace hearth::router;
using hearth::test::FakeUpstream;

namespace {

// What the raw upstream does with the n-th request (0-based, over all connections) it reads.
enum class Act { reply, close_silently, reply_partial_then_close };

// A hand-written HTTP/1.1 server: unlike httplib's, it can drop a keep-alive connection at an
// exact point of an exchange, which is what a stale pooled connection looks like.
class RawUpstream {
 public:
  explicit RawUpstream(std::function<Act(int)> script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~RawUpstream() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    {
      // The client's pool may keep a connection open; wake its reader.
      std::lock_guard<std::mutex> lk(mu_);
      for (int c : open_) ::shutdown(c, SHUT_RDWR);
    }
    for (auto& t : conns_) t.join();
  }
  Endpoint endpoint() const { return parse_base_url("http://127.0.0.1:" + std::to_string(port_)); }
  std::atomic<int> accepted{0}, requests{0}, replied{0};

 private:
  void accept_loop() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++accepted;
      {
        std::lock_guard<std::mutex> lk(mu_);
        open_.insert(c);
      }
      conns_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    serve_requests(c);
    std::lock_guard<std::mutex> lk(mu_);
    open_.erase(c);
    ::close(c);
  }
  void serve_requests(int c) {
    std::string buf;
    char tmp[4096];
    for (;;) {
      size_t head_end;
      while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) return;
        buf.append(tmp, static_cast<size_t>(n));
      }
      size_t clen = 0;
      auto cl = buf.find("Content-Length: ");
      if (cl != std::string::npos && cl < head_end) clen = std::stoul(buf.substr(cl + 16));
      while (buf.size() < head_end + 4 + clen) {
        ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) return;
        buf.append(tmp, static_cast<size_t>(n));
      }
      buf.erase(0, head_end + 4 + clen);
      Act act = script_(requests++);
      if (act == Act::close_silently) return;
      std::string body = act == Act::reply ? "{\"ok\":true}" : "{\"ok\":";
      std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n" + body;
      // Counted before the bytes leave: the client may check the count as soon as it has the reply.
      if (act == Act::reply) ++replied;
      if (::write(c, resp.data(), resp.size()) < 0) return;
      if (act == Act::reply_partial_then_close) return;
    }
  }
  std::function<Act(int)> script_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> conns_;  // touched only by the accept thread until the destructor
  std::mutex mu_;
  std::set<int> open_;  // connection sockets not yet closed
};

HttpOptions opts(int idle = 4) {
  HttpOptions o;
  o.read_timeout_ms = 3000;
  o.max_idle_connections = idle;
  return o;
}

}  // namespace

TEST(RouterPool, SequentialRequestsShareOneConnection) {
  FakeUpstream up;
  std::set<int> ports;
  std::mutex mu;
  up.server().Post("/v1/x", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lk(mu);
    ports.insert(req.remote_port);  // one client port per TCP connection
    res.set_content("{\"n\":1}", "application/json");
  });
  up.server().set_keep_alive_max_count(100);  // httplib's own default closes after 5 requests
  auto ep = parse_base_url(up.url("/v1"));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(http_post_collect(ep, "/x", {}, "{}", opts()), "{\"n\":1}");
  EXPECT_EQ(ports.size(), 1u);
}

TEST(RouterPool, ConcurrentRequestsStayWithinThePoolBound) {
  FakeUpstream up;
  std::set<int> ports;
  std::mutex mu;
  up.server().Post("/x", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lk(mu);
      ports.insert(req.remote_port);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    res.set_content("{}", "application/json");
  });
  auto ep = parse_base_url(up.url());
  auto o = opts(2);
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10; ++i) ok += http_post_collect(ep, "/x", {}, "{}", o) == "{}";
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 40);
  // 4 threads never need more than 4 connections at once; ones beyond the idle bound of 2 are
  // closed on return, so some reconnects happen, but far fewer than one per request.
  EXPECT_GE(ports.size(), 2u);
  EXPECT_LT(ports.size(), 40u);
  EXPECT_LE(ConnectionPool::get(ep, o).idle_count(), 2u);
}

TEST(RouterPool, ZeroIdleConnectionsMeansOneConnectionPerRequest) {
  RawUpstream up([](int) { return Act::reply; });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http_post_collect(up.endpoint(), "/x", {}, "{}", opts(0)), "{\"ok\":true}");
  EXPECT_EQ(up.accepted.load(), 3);
}

TEST(RouterPool, StaleConnectionIsRetriedOnceOnAFreshOne) {
  // Request 1 arrives on the pooled connection, which the upstream drops unanswered.
  RawUpstream up([](int n) { return n == 1 ? Act::close_silently : Act::reply; });
  auto ep = up.endpoint();
  auto o = opts();
  EXPECT_EQ(http_post_collect(ep, "/x", {}, "{}", o), "{\"ok\":true}");
  EXPECT_EQ(http_post_collect(ep, "/x", {}, "{}", o), "{\"ok\":true}");
  EXPECT_EQ(up.accepted.load(), 2);
  EXPECT_EQ(up.replied.load(), 2);
  EXPECT_EQ(up.requests.load(), 3);
}

TEST(RouterPool, FreshConnectionFailureIsNotRetried) {
  RawUpstream up([](int) { return Act::close_silently; });
  try {
    http_post_collect(up.endpoint(), "/x", {}, "{}", opts());
    FAIL() << "expected a network error";
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  }
  EXPECT_EQ(up.requests.load(), 1);
}

TEST(RouterPool, NoResendAfterResponseBytesReachedTheCaller) {
  // The pooled connection dies mid-body: bytes were streamed to the sink, so it must not be sent again.
  RawUpstream up([](int n) { return n == 1 ? Act::reply_partial_then_close : Act::reply; });
  auto ep = up.endpoint();
  auto o = opts();
  EXPECT_EQ(http_post_collect(ep, "/x", {}, "{}", o), "{\"ok\":true}");
  std::string got;
  EXPECT_THROW(http_post(ep, "/x", {}, "{}", o, [&](std::string_view d) { got.append(d); return true; }), ProviderError);
  EXPECT_EQ(got, "{\"ok\":");
  EXPECT_EQ(up.requests.load(), 2);
  EXPECT_EQ(up.accepted.load(), 1);
}

TEST(RouterPool, GetReusesTheConnectionToo) {
  FakeUpstream up;
  std::set<int> ports;
  up.server().Get("/models", [&](const httplib::Request& req, httplib::Response& res) {
    ports.insert(req.remote_port);
    res.set_content("[]", "application/json");
  });
  auto ep = parse_base_url(up.url());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(http_get(ep, "/models", {}, opts()), "[]");
  EXPECT_EQ(ports.size(), 1u);
}
