// Running an httplib server on a thread in tests. httplib's stop() does nothing until the server
// thread has entered its accept loop, so a test that stops a server the thread has not reached yet
// (a slow or loaded machine) would wait forever in join(): start servers with this instead.
#pragma once
#include <httplib.h>

#include <chrono>
#include <thread>

namespace hearth::test {

// Starts the (already bound) server on its own thread; returns once it is accepting, or after
// 10 s if it never gets there (listen failed: the join then returns at once).
inline std::thread listen_in_background(httplib::Server& server) {
  std::thread t([&server] { server.listen_after_bind(); });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return t;
}

}  // namespace hearth::test
