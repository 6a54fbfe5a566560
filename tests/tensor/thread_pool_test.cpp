#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

TEST(ThreadPool, SizeDefaultsToHardwareThreads) {
  hearth::ThreadPool pool(0);
  EXPECT_EQ(pool.size(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  hearth::ThreadPool three(3);
  EXPECT_EQ(three.size(), 3);
}

TEST(ThreadPool, RunCallsEveryIndexOnceAndCallerIsThreadZero) {
  for (int n : {1, 2, 4}) {
    hearth::ThreadPool pool(n);
    for (int rep = 0; rep < 200; ++rep) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<int> caller_was_zero{0};
      const auto caller = std::this_thread::get_id();
      pool.run([&](int ith, int nth) {
        ASSERT_EQ(nth, n);
        hits[ith].fetch_add(1);
        if (std::this_thread::get_id() == caller) caller_was_zero = ith == 0 ? 1 : -1;
      });
      for (int i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "thread " << i << " rep " << rep;
      ASSERT_EQ(caller_was_zero.load(), 1);
    }
  }
}

TEST(ThreadPool, ParallelForCoversRangeExactlyOnce) {
  hearth::ThreadPool pool(3);
  for (int64_t n : {0, 1, 2, 3, 7, 100, 1001}) {
    std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
    pool.parallel_for(n, [&](int64_t b, int64_t e) {
      ASSERT_LT(b, e);
      for (int64_t i = b; i < e; ++i) seen[i].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(ThreadPool, ResultsAreVisibleAfterRunReturns) {
  hearth::ThreadPool pool(2);
  std::vector<int64_t> out(10000, 0);
  for (int rep = 0; rep < 100; ++rep) {
    pool.parallel_for(static_cast<int64_t>(out.size()), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = i * rep;
    });
    for (size_t i = 0; i < out.size(); i += 997) ASSERT_EQ(out[i], static_cast<int64_t>(i) * rep);
  }
}

TEST(ThreadPool, ExceptionFromWorkerReachesCallerAndPoolStaysUsable) {
  hearth::ThreadPool pool(2);
  EXPECT_THROW(pool.run([](int ith, int) {
                 if (ith == 1) throw std::runtime_error("worker failed");
               }),
               std::runtime_error);
  EXPECT_THROW(pool.run([](int ith, int) {
                 if (ith == 0) throw std::runtime_error("caller failed");
               }),
               std::runtime_error);
  std::atomic<int> count{0};
  pool.run([&](int, int) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 2);
}

TEST(ThreadPool, IdlePoolWakesUpAfterSleeping) {
  hearth::ThreadPool pool(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // workers are past their spin
  std::atomic<int> count{0};
  pool.run([&](int, int) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 2);
}

TEST(ThreadPool, NestedRunOnTheSamePoolRunsInline) {
  hearth::ThreadPool pool(2);
  std::atomic<int> inner{0};
  pool.run([&](int, int) {
    pool.run([&](int ith, int nth) {
      EXPECT_EQ(ith, 0);
      EXPECT_EQ(nth, 1);
      inner.fetch_add(1);
    });
  });
  EXPECT_EQ(inner.load(), 2);  // once per outer thread
}

TEST(ThreadPool, ConcurrentCallersAreSerialized) {
  hearth::ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  auto client = [&] {
    for (int i = 0; i < 200; ++i) pool.parallel_for(10, [&](int64_t b, int64_t e) { total += e - b; });
  };
  std::thread a(client), b(client);
  a.join();
  b.join();
  EXPECT_EQ(total.load(), 2 * 200 * 10);
}

}  // namespace
