#include "router/server_stop.h"

#include <dirent.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstddef>

namespace hearth::router {
namespace {

int local_port_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return -1;
}

// The fd named by a /proc/self/fd entry, or -1 for "." and "..".
int fd_of(const char* name) {
  if (*name < '0' || *name > '9') return -1;
  int fd = 0;
  for (; *name >= '0' && *name <= '9'; ++name) fd = fd * 10 + (*name - '0');
  return *name ? -1 : fd;
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
  // open/getdents64 rather than opendir/readdir: no allocation, so a signal handler may run this.
  const int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  int n = 0;
  alignas(dirent64) char buf[4096];
  for (;;) {
    const ssize_t got = ::getdents64(dir, buf, sizeof buf);
    if (got <= 0) break;
    for (ssize_t off = 0; off < got;) {
      const auto* e = reinterpret_cast<const dirent64*>(buf + off);
      off += e->d_reclen;
      const int fd = fd_of(e->d_name);
      if (fd < 0 || fd == dir || !is_connection_on(fd, port)) continue;
      if (::shutdown(fd, SHUT_RDWR) == 0) ++n;
    }
  }
  ::close(dir);
  return n;
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
