// Noticing that the client of a request has hung up while its handler is still working. httplib
// (0.11, Debian's) gives handlers no access to the connection, so the connection's socket is
// found by its addresses (the request's local and remote address and port identify one TCP
// connection) and polled for the peer's hang-up. Streaming responses learn it from their writes;
// this is for non-streaming ones, so a client that gives up frees its engine slot at once.
#pragma once

namespace httplib {
struct Request;
}

namespace hearth::router {

// Calls visit(fd, ctx) for every open file descriptor of this process until it returns true.
// Only system calls (open, getdents64, close), so a signal handler may use it.
void for_each_open_fd(bool (*visit)(int fd, void* ctx), void* ctx);

class ClientWatch {
 public:
  explicit ClientWatch(const httplib::Request& req);
  // True once the peer closed or reset the connection. False when the socket was not found.
  bool gone() const;
  bool watching() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace hearth::router
