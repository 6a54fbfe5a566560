#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HEARTH_CPU_RELAX() _mm_pause()
#else
#define HEARTH_CPU_RELAX() std::this_thread::yield()
#endif

namespace hearth {
namespace {
// How long a thread polls before it sleeps. Kernels in a forward pass come back-to-back a few
// microseconds apart, so a short spin avoids a futex round trip per matmul; a longer one would
// steal the CPU from other processes when the pool is idle.
constexpr int kSpinIterations = 4000;

// The pool whose job the current thread is running, so that a kernel calling back into the same
// pool runs the nested job inline instead of deadlocking on it.
thread_local const void* tl_running_pool = nullptr;

struct RunningScope {
  const void* saved;
  explicit RunningScope(const void* pool) : saved(tl_running_pool) { tl_running_pool = pool; }
  ~RunningScope() { tl_running_pool = saved; }
};
}  // namespace

struct ThreadPool::Impl {
  int n = 1;
  std::vector<std::thread> workers;

  std::mutex mu;                // guards sleeping on the two condition variables
  std::condition_variable start_cv;
  std::condition_variable done_cv;
  std::atomic<uint64_t> generation{0};  // bumped once per run(); workers run when it changes
  std::atomic<int> pending{0};          // workers still busy with the current job
  std::atomic<bool> stop{false};
  const std::function<void(int, int)>* job = nullptr;

  std::mutex run_mu;  // one run() at a time when several threads share the pool
  std::mutex err_mu;
  std::exception_ptr error;

  void record(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(err_mu);
    if (!error) error = e;
  }

  void worker(int ith) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t g = generation.load(std::memory_order_acquire);
      for (int i = 0; g == seen && i < kSpinIterations; ++i) {
        HEARTH_CPU_RELAX();
        g = generation.load(std::memory_order_acquire);
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lock(mu);
        start_cv.wait(lock, [&] { return generation.load(std::memory_order_acquire) != seen; });
        g = generation.load(std::memory_order_acquire);
      }
      seen = g;
      if (stop.load(std::memory_order_acquire)) return;
      try {
        RunningScope scope(this);
        (*job)(ith, n);
      } catch (...) {
        record(std::current_exception());
      }
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // Taking the lock orders this notify after the caller's predicate check.
        std::lock_guard<std::mutex> lock(mu);
        done_cv.notify_one();
      }
    }
  }

  void wait_done() {
    for (int i = 0; i < kSpinIterations; ++i) {
      if (pending.load(std::memory_order_acquire) == 0) return;
      HEARTH_CPU_RELAX();
    }
    std::unique_lock<std::mutex> lock(mu);
    done_cv.wait(lock, [&] { return pending.load(std::memory_order_acquire) == 0; });
  }
};

ThreadPool::ThreadPool(int n_threads) : impl_(new Impl) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_->n = n_threads;
  impl_->workers.reserve(n_threads - 1);
  for (int i = 1; i < n_threads; ++i) impl_->workers.emplace_back([this, i] { impl_->worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop.store(true, std::memory_order_release);
    impl_->generation.fetch_add(1, std::memory_order_acq_rel);
  }
  impl_->start_cv.notify_all();
  for (auto& t : impl_->workers) t.join();
  delete impl_;
}

int ThreadPool::size() const { return impl_->n; }

void ThreadPool::run(const std::function<void(int ith, int nth)>& fn) {
  Impl& p = *impl_;
  if (tl_running_pool == impl_ || p.n == 1) {
    // Nested call from inside one of this pool's jobs (or no workers): run on this thread only.
    fn(0, 1);
    return;
  }
  std::lock_guard<std::mutex> run_lock(p.run_mu);
  RunningScope scope(impl_);
  p.error = nullptr;
  p.job = &fn;
  p.pending.store(p.n - 1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.generation.fetch_add(1, std::memory_order_acq_rel);
  }
  p.start_cv.notify_all();
  try {
    fn(0, p.n);
  } catch (...) {
    p.record(std::current_exception());
  }
  // Workers hold a pointer to fn, so even on error we return only after all of them finished.
  p.wait_done();
  p.job = nullptr;
  if (p.error) std::rethrow_exception(p.error);
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn) {
  if (n <= 0) return;
  run([&](int ith, int nth) {
    const int64_t chunk = (n + nth - 1) / nth;
    const int64_t begin = std::min<int64_t>(n, chunk * ith);
    const int64_t end = std::min<int64_t>(n, begin + chunk);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace hearth
