#include "router/http_workers.h"

#include <algorithm>
#include <system_error>

#include "core/log.h"

namespace hearth::router {

GrowingThreadPool::GrowingThreadPool(size_t max_threads, std::chrono::milliseconds idle_exit, size_t keep_threads,
                                     Starter start)
    : max_(std::max<size_t>(1, max_threads)),
      keep_(keep_threads),
      idle_exit_(idle_exit),
      start_(start ? std::move(start) : Starter([](std::function<void()> f) { return std::thread(std::move(f)); })) {}

GrowingThreadPool::~GrowingThreadPool() { shutdown(); }

void GrowingThreadPool::enqueue(std::function<void()> fn) {
  std::vector<std::thread> done;
  std::function<void()> inline_task;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stop_) return;
    jobs_.push_back(std::move(fn));
    done.swap(finished_);
    // Each idle thread takes one queued task: a new thread is needed when the queue outnumbers them.
    if (jobs_.size() > idle_ && workers_.size() < max_) {
      try {
        std::thread t = start_([this] { work(); });
        const auto id = t.get_id();
        workers_.emplace(id, std::move(t));  // before the thread can take the lock and look itself up
        peak_ = std::max(peak_, workers_.size());
      } catch (const std::system_error& e) {
        // Out of threads (RLIMIT_NPROC, memory): the task waits for a running thread.
        log::warn(std::string("http: cannot start another worker thread (") + e.what() + "); " +
                  std::to_string(workers_.size()) + " serve the queue");
        if (workers_.empty()) {
          // No thread would ever take it: the caller (httplib's accepting thread) serves this
          // connection itself rather than leave it unanswered.
          inline_task = std::move(jobs_.back());
          jobs_.pop_back();
        }
      }
    }
    if (!inline_task) work_cv_.notify_one();
  }
  reap(done);
  if (inline_task) inline_task();
}

void GrowingThreadPool::work() {
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    ++idle_;
    const bool woke = work_cv_.wait_for(lk, idle_exit_, [&] { return stop_ || !jobs_.empty(); });
    --idle_;
    if (!jobs_.empty()) {
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      lk.unlock();
      fn();
      fn = nullptr;  // a task's captures are released before the thread waits again
      lk.lock();
      continue;
    }
    if (stop_ || (!woke && workers_.size() > keep_)) break;
  }
  // Hand this thread's handle to whoever joins next; it touches nothing after the unlock.
  auto it = workers_.find(std::this_thread::get_id());
  finished_.push_back(std::move(it->second));
  workers_.erase(it);
  exit_cv_.notify_all();
}

void GrowingThreadPool::reap(std::vector<std::thread>& done) {
  for (auto& t : done)
    if (t.joinable()) t.join();
}

void GrowingThreadPool::shutdown() {
  std::vector<std::thread> done;
  {
    std::unique_lock<std::mutex> lk(mu_);
    stop_ = true;
    work_cv_.notify_all();
    exit_cv_.wait(lk, [&] { return workers_.empty(); });
    done.swap(finished_);
  }
  reap(done);
}

size_t GrowingThreadPool::threads() const {
  std::lock_guard<std::mutex> lk(mu_);
  return workers_.size();
}

size_t GrowingThreadPool::peak_threads() const {
  std::lock_guard<std::mutex> lk(mu_);
  return peak_;
}

size_t GrowingThreadPool::idle_threads() const {
  std::lock_guard<std::mutex> lk(mu_);
  return idle_;
}

size_t GrowingThreadPool::queued() const {
  std::lock_guard<std::mutex> lk(mu_);
  return jobs_.size();
}

}  // namespace hearth::router
