// The worker threads behind `hearth serve` and `hearth gateway`.
//
// httplib hands each accepted connection to its task queue as one task that lives as long as
// the connection (every request of a keep-alive connection runs on the same thread). With
// httplib's fixed ThreadPool of N threads, connection N+1 therefore waited, unserved, until one
// of the first N closed or sat idle for the keep-alive timeout: 65 clients that keep their
// connections busy left one hanging. This queue starts a thread whenever a task arrives and no
// idle thread is waiting for it, up to `max_threads` (beyond that tasks wait their turn, as
// before), and a thread that has been idle for `idle_exit` leaves, so an idle server holds a few
// threads rather than its peak.
#pragma once
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::router {

class GrowingThreadPool : public httplib::TaskQueue {
 public:
  // Starts a thread running the function (std::thread by default; tests make it fail).
  using Starter = std::function<std::thread(std::function<void()>)>;
  explicit GrowingThreadPool(size_t max_threads, std::chrono::milliseconds idle_exit = std::chrono::seconds(30),
                             size_t keep_threads = 2, Starter start = {});
  ~GrowingThreadPool() override;
  GrowingThreadPool(const GrowingThreadPool&) = delete;
  GrowingThreadPool& operator=(const GrowingThreadPool&) = delete;

  void enqueue(std::function<void()> fn) override;
  // Runs every queued task, then waits for the threads to end. Called by httplib when the server
  // stops; later enqueues are dropped.
  void shutdown() override;

  size_t threads() const;  // alive now
  size_t peak_threads() const;
  size_t queued() const;  // waiting for a thread
  size_t idle_threads() const;  // waiting for a task

 private:
  void work();
  void reap(std::vector<std::thread>& done);
  const size_t max_, keep_;
  const std::chrono::milliseconds idle_exit_;
  const Starter start_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, exit_cv_;
  std::deque<std::function<void()>> jobs_;
  std::map<std::thread::id, std::thread> workers_;
  std::vector<std::thread> finished_;  // threads that left; joined by the next enqueue or shutdown
  size_t idle_ = 0, peak_ = 0;
  bool stop_ = false;
};

// The number of connections `serve` and `gateway` serve at once unless told otherwise.
constexpr int kDefaultMaxConnections = 1024;

}  // namespace hearth::router
