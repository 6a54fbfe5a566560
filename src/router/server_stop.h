// Stopping an httplib server promptly. httplib 0.11 (Debian's) ends a keep-alive connection only
// when the client sends or its 5 s idle timeout passes, and `listen` returns only after every
// connection's worker has ended: a client that merely holds an idle connection (every SDK's
// connection pool does) kept Ctrl-C or SIGTERM waiting for seconds. So stopping also hangs up
// this server's connections; a request still running sees its client gone and stops, as
// llama-server and Ollama end in-flight requests on shutdown.
#pragma once

namespace httplib {
class Server;
}

namespace hearth::router {

// Closes the listening socket and shuts down every connection whose local port is `port`.
// Only system calls, so a signal handler may call it.
void stop_server(httplib::Server& server, int port);

// The second half alone: shuts down (both ways) every connected TCP socket of this process whose
// local port is `port`. Returns how many. Async-signal-safe.
int hang_up_connections(int port);

// While alive, SIGINT and SIGTERM stop `server` as stop_server does (for front ends that block
// in `listen`); the previous handlers come back when it ends.
class StopOnSignals {
 public:
  StopOnSignals(httplib::Server& server, int port);
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  void (*old_int_)(int) = nullptr;
  void (*old_term_)(int) = nullptr;
};

}  // namespace hearth::router
