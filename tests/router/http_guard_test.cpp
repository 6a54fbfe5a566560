// The Host and Origin rules every hearth server applies (router/http_guard.h), as functions and
// through a real httplib server: a cross-site page, a DNS-rebinding page, a simple text/plain POST.
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <chrono>
#include <thread>

#include "router/client_watch.h"
#include "router/http_guard.h"
#include "router/provider.h"
#include "router/server_stop.h"
#include "support/listen.h"

namespace hearth::router {
namespace {

TEST(HttpGuard, LoopbackHostsAndOrigins) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("app.localhost"));
  EXPECT_FALSE(is_loopback_host("localhost.evil.com"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.nip.io"));
  EXPECT_FALSE(is_loopback_host("evil.example"));

  HttpGuardOptions o;
  EXPECT_TRUE(origin_allowed(o, "http://localhost", "127.0.0.1:8080"));
  EXPECT_TRUE(origin_allowed(o, "http://127.0.0.1:5173", "127.0.0.1:8080"));
  EXPECT_TRUE(origin_allowed(o, "https://[::1]:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(origin_allowed(o, "HTTP://LOCALHOST:1", "127.0.0.1:8080"));
  EXPECT_FALSE(origin_allowed(o, "http://localhost.evil.com", "127.0.0.1:8080"));
  EXPECT_FALSE(origin_allowed(o, "http://127.0.0.1.nip.io", "127.0.0.1:8080"));
  EXPECT_FALSE(origin_allowed(o, "http://evil.example", "127.0.0.1:8080"));
  EXPECT_FALSE(origin_allowed(o, "null", "127.0.0.1:8080"));
  EXPECT_FALSE(origin_allowed(o, "http://localhost:80x", "127.0.0.1:8080"));
  EXPECT_FALSE(origin_allowed(o, "chrome-extension://abc", "127.0.0.1:8080"));
}

TEST(HttpGuard, SameOriginAndAllowList) {
  HttpGuardOptions o;
  o.bind_host = "0.0.0.0";
  // The server's own page reached over the LAN is same-origin.
  EXPECT_TRUE(origin_allowed(o, "http://192.168.1.5:8080", "192.168.1.5:8080"));
  EXPECT_FALSE(origin_allowed(o, "http://192.168.1.6:8080", "192.168.1.5:8080"));
  o.allowed_origins = {"https://app.example.com", "https://*.corp.example"};
  EXPECT_TRUE(origin_allowed(o, "https://app.example.com", "x:1"));
  EXPECT_FALSE(origin_allowed(o, "http://app.example.com", "x:1"));  // scheme matters
  EXPECT_TRUE(origin_allowed(o, "https://wiki.corp.example", "x:1"));
  EXPECT_FALSE(origin_allowed(o, "https://corp.example", "x:1"));
  EXPECT_FALSE(origin_allowed(o, "https://evilcorp.example", "x:1"));
  o.allowed_origins = {"*"};
  EXPECT_TRUE(origin_allowed(o, "https://anything.example", "x:1"));
  EXPECT_TRUE(origin_allowed(o, "null", "x:1"));
}

TEST(HttpGuard, VerdictsNameTheHeader) {
  HttpGuardOptions o;  // loopback
  EXPECT_EQ(guard_verdict(o, "127.0.0.1:8080", ""), "");
  EXPECT_EQ(guard_verdict(o, "localhost:8080", "http://localhost:3000"), "");
  EXPECT_EQ(guard_verdict(o, "", ""), "");  // HTTP/1.0 clients without Host
  const std::string rebinding = guard_verdict(o, "evil.example:8080", "");
  EXPECT_NE(rebinding.find("Host 'evil.example:8080'"), std::string::npos) << rebinding;
  const std::string cross = guard_verdict(o, "127.0.0.1:8080", "http://evil.example");
  EXPECT_NE(cross.find("Origin 'http://evil.example'"), std::string::npos) << cross;
  // A non-loopback bind accepts any Host (the user chose to expose it) but still checks Origin.
  o.bind_host = "0.0.0.0";
  EXPECT_EQ(guard_verdict(o, "myhost.lan:8080", ""), "");
  EXPECT_NE(guard_verdict(o, "myhost.lan:8080", "http://evil.example"), "");
  // An allowed origin's host is an accepted Host on loopback too (a reverse proxy's name).
  o.bind_host = "127.0.0.1";
  o.allowed_origins = {"https://chat.example.com"};
  EXPECT_EQ(guard_verdict(o, "chat.example.com", "https://chat.example.com"), "");
}

class GuardedServer : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpGuardOptions o;
    o.allowed_origins = {"https://app.example.com"};
    install_http_guard(server_, o);
    use_exclusive_port(server_);
    server_.Post("/write", [this](const httplib::Request&, httplib::Response& res) {
      ++writes_;
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = hearth::test::listen_in_background(server_);
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  httplib::Result post(const httplib::Headers& h) {
    httplib::Client c("127.0.0.1", port_);
    return c.Post("/write", h, "remember: evil", "text/plain");
  }
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  int writes_ = 0;
};

TEST_F(GuardedServer, CrossSiteSimplePostIsRefusedBeforeTheHandler) {
  auto evil = post({{"Origin", "http://evil.example"}});
  ASSERT_TRUE(evil);
  EXPECT_EQ(evil->status, 403);
  EXPECT_NE(evil->body.find("Origin"), std::string::npos);
  EXPECT_FALSE(evil->has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(writes_, 0);
  // DNS rebinding: the page's own origin, but a Host that is not a loopback name.
  auto rebound = post({{"Origin", "http://evil.example:1234"}, {"Host", "evil.example:1234"}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 403);
  EXPECT_EQ(writes_, 0);
  // Programs (no Origin), loopback pages and the allowed origin are served; CORS only for them.
  auto cli = post({});
  ASSERT_TRUE(cli);
  EXPECT_EQ(cli->status, 200);
  EXPECT_FALSE(cli->has_header("Access-Control-Allow-Origin"));
  auto app = post({{"Origin", "https://app.example.com"}});
  ASSERT_TRUE(app);
  EXPECT_EQ(app->status, 200);
  EXPECT_EQ(app->get_header_value("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(writes_, 2);
  // A preflight from an allowed origin is answered here; from another, refused.
  httplib::Client c("127.0.0.1", port_);
  auto pre = c.Options("/write", {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  auto bad_pre = c.Options("/write", {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(bad_pre);
  EXPECT_EQ(bad_pre->status, 403);
}

TEST_F(GuardedServer, ASecondServerCannotShareThePort) {
  httplib::Server second;
  use_exclusive_port(second);
  EXPECT_FALSE(second.bind_to_port("127.0.0.1", port_));
}

}  // namespace
}  // namespace hearth::router

namespace hearth::router {
namespace {

// A non-streaming handler learns that its client hung up (ClientWatch), and a provider that works
// token by token stops when the request is abandoned.
TEST(ClientWatch, SeesTheClientHangUpWhileTheHandlerWorks) {
  httplib::Server server;
  std::atomic<int> seen{-1};  // 1: saw the hang-up, 0: never did within 10 s
  server.Post("/slow", [&](const httplib::Request& req, httplib::Response& res) {
    ClientWatch watch(req);
    EXPECT_TRUE(watch.watching());
    EXPECT_FALSE(watch.gone());
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!watch.gone() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    seen = watch.gone() ? 1 : 0;
    res.set_content("late", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t = hearth::test::listen_in_background(server);
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(0, 200 * 1000);  // gives up after 200 ms
    auto r = c.Post("/slow", "x", "text/plain");
    EXPECT_FALSE(r);
  }
  for (int i = 0; i < 400 && seen.load() < 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  server.stop();
  t.join();
  EXPECT_EQ(seen.load(), 1);
}

// A worker thread remembers the socket of its last request; a request on another connection
// served by the same thread must still find its own socket (the remembered one is closed by then).
TEST(ClientWatch, FindsEachConnectionsOwnSocketOnOneWorkerThread) {
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(1); };
  std::atomic<int> ok{0}, bad{0};
  server.Get("/ping", [&](const httplib::Request& req, httplib::Response& res) {
    ClientWatch watch(req);
    (watch.watching() && !watch.gone() ? ok : bad)++;
    res.set_content("pong", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t = hearth::test::listen_in_background(server);
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  {
    auto a = std::make_unique<httplib::Client>("127.0.0.1", port);
    a->set_keep_alive(true);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(a->Get("/ping"));  // one connection, three requests
    // B is accepted (its own descriptor) while A's keeps the only worker; A then hangs up.
    httplib::Client b("127.0.0.1", port);
    std::thread tb([&] { EXPECT_TRUE(b.Get("/ping")); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    a.reset();
    tb.join();
  }
  server.stop();
  t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(bad.load(), 0);
}

TEST(ClientWatch, AbandonedRequestStopsAProviderThatStreams) {
  struct Counting : Provider {
    int produced = 0;
    std::string name() const override { return "counting"; }
    void chat_stream(const ChatRequest&, const StreamSink& sink) override {
      for (int i = 0; i < 1000; ++i) {
        ++produced;
        StreamEvent t{StreamEvent::Kind::text};
        t.text = "x";
        if (!sink(t)) return;  // the consumer refused: stop as the engine does
      }
    }
  } p;
  ChatRequest req;
  int polls = 0;
  req.abandoned = [&] { return ++polls >= 5; };
  auto r = p.chat(req);
  EXPECT_EQ(p.produced, 5);
  EXPECT_EQ(r.message.content, "xxxxx");
  ChatRequest kept;
  Counting q;
  q.chat(kept);
  EXPECT_EQ(q.produced, 1000);
}

// Stopping a server with a client holding an idle keep-alive connection (what every SDK's pool
// does): httplib alone waits out its 5 s idle timeout; hearth's stop hangs the connection up.
class IdleClient {
 public:
  explicit IdleClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    const std::string q = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";  // HTTP/1.1: kept alive
    ok_ = ok_ && ::send(fd_, q.data(), q.size(), 0) == static_cast<ssize_t>(q.size());
    // Read the whole (small) response; the connection then stays open and idle.
    char buf[1024];
    std::string got;
    while (ok_ && got.find("pong") == std::string::npos) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) ok_ = false;
      else got.append(buf, static_cast<size_t>(n));
    }
  }
  ~IdleClient() { ::close(fd_); }
  bool ok() const { return ok_; }
  // True when the server closed the connection (recv sees end of stream within 3 s).
  bool closed_by_server() const {
    timeval tv{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

struct StoppableServer {
  httplib::Server server;
  int port = 0;
  std::atomic<bool> ended{false};
  std::thread t;
  StoppableServer() {
    server.Get("/ping", [](const httplib::Request&, httplib::Response& res) { res.set_content("pong", "text/plain"); });
    port = server.bind_to_any_port("127.0.0.1");
    t = std::thread([this] {
      server.listen_after_bind();
      ended = true;
    });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Whether `listen` returned within 3 s (less than httplib's 5 s keep-alive timeout).
  bool ends_soon() {
    for (int i = 0; i < 300 && !ended; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return ended;
  }
  ~StoppableServer() {
    server.stop();
    t.join();
  }
};

TEST(ServerStop, HangsUpIdleKeepAliveConnectionsOfItsPortOnly) {
  StoppableServer a, b;
  IdleClient ca(a.port), cb(b.port);
  ASSERT_TRUE(ca.ok() && cb.ok());
  EXPECT_EQ(hang_up_connections(a.port), 1);
  EXPECT_TRUE(ca.closed_by_server());
  EXPECT_EQ(hang_up_connections(0), 0);
  stop_server(b.server, b.port);
  EXPECT_TRUE(b.ends_soon());
  EXPECT_TRUE(cb.closed_by_server());
}

TEST(ServerStop, SigtermStopsAServerWithAnIdleClientAtOnce) {
  StoppableServer s;
  IdleClient c(s.port);
  ASSERT_TRUE(c.ok());
  {
    const StopOnSignals on_signals(s.server, s.port);
    std::raise(SIGTERM);
    EXPECT_TRUE(s.ends_soon());
  }
  EXPECT_TRUE(c.closed_by_server());
}

}  // namespace
}  // namespace hearth::router
