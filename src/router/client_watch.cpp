#include "router/client_watch.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace hearth::router {
namespace {

// "addr" and port of a socket address, or false for non-IP sockets.
bool endpoint(const sockaddr_storage& ss, std::string& addr, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
    port = ntohs(a.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    inet_ntop(AF_INET6, &a.sin6_addr, buf, sizeof buf);
    port = ntohs(a.sin6_port);
  } else {
    return false;
  }
  addr = buf;
  return true;
}

bool is_connection(int fd, const httplib::Request& req) {
  sockaddr_storage local{}, peer{};
  socklen_t ll = sizeof local, pl = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) return false;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) return false;
  std::string la, pa;
  int lp = 0, pp = 0;
  if (!endpoint(local, la, lp) || !endpoint(peer, pa, pp)) return false;
  return lp == req.local_port && pp == req.remote_port && pa == req.remote_addr &&
         (req.local_addr.empty() || la == req.local_addr);
}

// The fd named by a /proc/self/fd entry, or -1 for "." and "..".
int fd_of(const char* name) {
  if (*name < '0' || *name > '9') return -1;
  int fd = 0;
  for (; *name >= '0' && *name <= '9'; ++name) fd = fd * 10 + (*name - '0');
  return *name ? -1 : fd;
}

}  // namespace

void for_each_open_fd(bool (*visit)(int fd, void* ctx), void* ctx) {
  // open/getdents64 rather than opendir/readdir: no allocation.
  const int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  alignas(dirent64) char buf[4096];
  bool done = false;
  while (!done) {
    const ssize_t got = ::getdents64(dir, buf, sizeof buf);
    if (got <= 0) break;
    for (ssize_t off = 0; off < got && !done;) {
      const auto* e = reinterpret_cast<const dirent64*>(buf + off);
      off += e->d_reclen;
      const int fd = fd_of(e->d_name);
      if (fd >= 0 && fd != dir) done = visit(fd, ctx);
    }
  }
  ::close(dir);
}

ClientWatch::ClientWatch(const httplib::Request& req) {
  if (req.remote_port <= 0 || req.local_port <= 0) return;
  // httplib serves every request of a keep-alive connection on one worker thread, so
  // the socket found for this thread's last request is usually this one's: checking it takes two
  // system calls, where the scan below takes two per open descriptor (at 512 connections the
  // scan per request held the gateway to ~800 requests/s). The check compares addresses, so a
  // closed or reused descriptor is never taken for this connection.
  thread_local int last_fd = -1;
  if (last_fd >= 0 && is_connection(last_fd, req)) {
    fd_ = last_fd;
    return;
  }
  struct Search {
    const httplib::Request& req;
    int found = -1;
  } search{req};
  for_each_open_fd(
      [](int fd, void* ctx) {
        auto& s = *static_cast<Search*>(ctx);
        if (!is_connection(fd, s.req)) return false;
        s.found = fd;
        return true;
      },
      &search);
  fd_ = search.found;
  if (fd_ >= 0) last_fd = fd_;
}

bool ClientWatch::gone() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace hearth::router
