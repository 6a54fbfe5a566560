// A persistent pool of worker threads for data-parallel kernels. parallel_for blocks until every
// chunk is done; the calling thread takes part, so a pool of size N uses N threads in total.
#pragma once
#include <cstdint>
#include <functional>

namespace hearth {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads <= 0: one per hardware thread
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;
  // Calls fn(thread_index, n_threads) once on each of size() threads (thread 0 is the caller).
  // Kernels split their own work from these two numbers, so the split is deterministic.
  void run(const std::function<void(int ith, int nth)>& fn);
  // Splits [0, n) into contiguous chunks, one per thread: fn(begin, end).
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace hearth
