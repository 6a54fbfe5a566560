// The task queue behind serve and gateway: a thread for every task that finds no idle one (up to
// the cap), idle threads leave, and stopping runs what was queued.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#include "router/http_workers.h"

using namespace std::chrono_literals;
using hearth::router::GrowingThreadPool;

namespace {

// Tasks that block until released, counting how many run at once.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int running = 0, done = 0;
  std::function<void()> task() {
    return [this] {
      std::unique_lock<std::mutex> lk(mu);
      ++running;
      cv.notify_all();
      cv.wait(lk, [&] { return open; });
      --running;
      ++done;
      cv.notify_all();
    };
  }
  // Waits (up to 10 s) until `n` tasks are running at once.
  bool wait_running(int n) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, 10s, [&] { return running == n; });
  }
  bool wait_done(int n) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, 10s, [&] { return done == n; });
  }
  void release() {
    std::lock_guard<std::mutex> lk(mu);
    open = true;
    cv.notify_all();
  }
};

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 1000; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

}  // namespace

// httplib keeps a connection's thread for the connection's life: 100 long tasks must all run at
// once, where a fixed pool of 64 left the last 36 waiting.
TEST(GrowingThreadPool, EveryLongTaskGetsAThread) {
  GrowingThreadPool pool(1024);
  Gate g;
  for (int i = 0; i < 100; ++i) pool.enqueue(g.task());
  EXPECT_TRUE(g.wait_running(100));
  EXPECT_EQ(pool.threads(), 100u);
  EXPECT_EQ(pool.queued(), 0u);
  g.release();
  EXPECT_TRUE(g.wait_done(100));
}

TEST(GrowingThreadPool, AtTheCapTasksWaitTheirTurn) {
  GrowingThreadPool pool(4);
  Gate g;
  for (int i = 0; i < 6; ++i) pool.enqueue(g.task());
  ASSERT_TRUE(g.wait_running(4));
  std::this_thread::sleep_for(50ms);  // no fifth thread appears
  {
    std::lock_guard<std::mutex> lk(g.mu);
    EXPECT_EQ(g.running, 4);
  }
  EXPECT_EQ(pool.threads(), 4u);
  EXPECT_EQ(pool.queued(), 2u);
  g.release();
  EXPECT_TRUE(g.wait_done(6));
  EXPECT_EQ(pool.peak_threads(), 4u);
}

TEST(GrowingThreadPool, AnIdleThreadTakesTheNextTaskInsteadOfANewOne) {
  GrowingThreadPool pool(64);
  std::atomic<int> ran{0};
  for (int i = 0; i < 20; ++i) {
    pool.enqueue([&] { ++ran; });
    ASSERT_TRUE(eventually([&] { return ran == i + 1 && pool.idle_threads() == 1; }));
  }
  EXPECT_EQ(pool.peak_threads(), 1u);
}

TEST(GrowingThreadPool, IdleThreadsLeaveDownToTheOnesKept) {
  GrowingThreadPool pool(64, 50ms, 1);
  Gate g;
  for (int i = 0; i < 8; ++i) pool.enqueue(g.task());
  ASSERT_TRUE(g.wait_running(8));
  g.release();
  ASSERT_TRUE(g.wait_done(8));
  EXPECT_TRUE(eventually([&] { return pool.threads() == 1; })) << pool.threads() << " threads left";
  // The pool still serves after its threads left (and joins them as it goes).
  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) pool.enqueue([&] { ++ran; });
  EXPECT_TRUE(eventually([&] { return ran == 3; }));
}

TEST(GrowingThreadPool, ShutdownRunsWhatWasQueuedThenDropsNewTasks) {
  GrowingThreadPool pool(1);
  Gate g;
  std::atomic<int> ran{0};
  pool.enqueue(g.task());
  ASSERT_TRUE(g.wait_running(1));
  for (int i = 0; i < 3; ++i) pool.enqueue([&] { ++ran; });
  EXPECT_EQ(pool.queued(), 3u);
  std::thread stopper([&] { pool.shutdown(); });
  std::this_thread::sleep_for(20ms);
  g.release();
  stopper.join();
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(pool.threads(), 0u);
  pool.enqueue([&] { ++ran; });  // after shutdown: dropped, not run and not a crash
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(ran, 3);
}

// When not even the first thread can start (out of threads), nothing would ever take the task:
// the caller runs it itself. Once a thread exists, a failed start leaves the task queued for it.
TEST(GrowingThreadPool, WithNoThreadTheCallerRunsTheTask) {
  int starts = 0;
  bool fail = true;
  GrowingThreadPool pool(8, std::chrono::seconds(30), 2, [&](std::function<void()> f) {
    ++starts;
    if (fail) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    return std::thread(std::move(f));
  });
  std::thread::id ran_on;
  pool.enqueue([&] { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(pool.threads(), 0u);
  EXPECT_EQ(pool.queued(), 0u);

  fail = false;
  Gate gate;
  pool.enqueue(gate.task());
  ASSERT_TRUE(gate.wait_running(1));
  fail = true;
  std::atomic<bool> second{false};
  pool.enqueue([&] { second = true; });  // the start fails; one thread exists, so it waits for it
  EXPECT_FALSE(second.load());
  EXPECT_EQ(pool.threads(), 1u);
  gate.release();
  EXPECT_TRUE(eventually([&] { return second.load(); }));
  EXPECT_EQ(starts, 3);
}
