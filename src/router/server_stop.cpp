#include "router/server_stop.h"

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <csignal>

#include "router/client_watch.h"

namespace hearth::router {
namespace {

int local_port_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return -1;
}

bool is_connection_on(int fd, int port) {
  sockaddr_storage local{}, peer{};
  socklen_t ll = sizeof local, pl = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) return false;
  if (local_port_of(local) != port) return false;
  // The listening socket has no peer; a connection has one.
  return ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) == 0;
}

std::atomic<httplib::Server*> g_signalled_server{nullptr};
std::atomic<int> g_signalled_port{0};

void on_stop_signal(int) {
  if (auto* s = g_signalled_server.load()) stop_server(*s, g_signalled_port.load());
}

}  // namespace

int hang_up_connections(int port) {
  if (port <= 0) return 0;
  struct Sweep {
    int port, n = 0;
  } sweep{port};
  for_each_open_fd(
      [](int fd, void* ctx) {
        auto& s = *static_cast<Sweep*>(ctx);
        if (is_connection_on(fd, s.port) && ::shutdown(fd, SHUT_RDWR) == 0) ++s.n;
        return false;
      },
      &sweep);
  return sweep.n;
}

void stop_server(httplib::Server& server, int port) {
  server.stop();  // first, so no new connection is accepted after the sweep
  hang_up_connections(port);
}

StopOnSignals::StopOnSignals(httplib::Server& server, int port) {
  g_signalled_port = port;
  g_signalled_server = &server;
  old_int_ = std::signal(SIGINT, on_stop_signal);
  old_term_ = std::signal(SIGTERM, on_stop_signal);
}

StopOnSignals::~StopOnSignals() {
  std::signal(SIGINT, old_int_ == SIG_ERR ? SIG_DFL : old_int_);
  std::signal(SIGTERM, old_term_ == SIG_ERR ? SIG_DFL : old_term_);
  g_signalled_server = nullptr;
}

}  // namespace hearth::router
