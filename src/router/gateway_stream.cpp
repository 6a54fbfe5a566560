#include "router/gateway_stream.h"

#include <httplib.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/log.h"

namespace hearth::router {
namespace {

// Bytes the producer may run ahead of a slow client before it waits.
constexpr size_t kMaxBuffered = 1u << 20;

struct Pump {
  std::mutex mu;
  std::condition_variable cv;
  std::string buf;         // framed bytes not yet written to the client
  bool first = false;      // an event arrived: the response can start
  bool done = false;       // the producer finished (its last bytes are in buf)
  bool cancelled = false;  // the client went away, or the response was torn down
  std::exception_ptr early;  // failure before the first event
  std::thread th;
  ~Pump() {
    if (th.joinable()) th.join();
  }
  void cancel_and_join() {
    {
      std::lock_guard<std::mutex> lk(mu);
      cancelled = true;
    }
    cv.notify_all();
    if (th.joinable()) th.join();
  }
};

void produce_on(Pump* p, std::shared_ptr<StreamFramer> framer, StreamProducer produce, StreamFinished finished) {
  Accumulator acc;
  auto sink = [&](const StreamEvent& e) {
    acc.add(e);
    std::unique_lock<std::mutex> lk(p->mu);
    if (p->cancelled) return false;
    framer->event(e, p->buf);
    p->first = true;
    p->cv.notify_all();
    p->cv.wait(lk, [&] { return p->buf.size() < kMaxBuffered || p->cancelled; });
    return !p->cancelled;
  };
  auto fail = [&](const ProviderError& e) {
    std::lock_guard<std::mutex> lk(p->mu);
    if (!p->first) p->early = std::current_exception();
    else if (e.kind() != ErrorKind::cancelled) framer->error(e, p->buf);
    p->done = true;
  };
  try {
    RouteInfo info = produce(sink);
    {
      std::lock_guard<std::mutex> lk(p->mu);
      framer->end(info, p->buf);
      p->done = true;
    }
    p->cv.notify_all();
    if (finished) {
      ChatResponse r = acc.take();
      r.route = std::move(info);
      try {
        finished(r);
      } catch (const std::exception& e) {
        log::error(std::string("gateway: after-chat hook failed: ") + e.what());
      }
    }
    return;
  } catch (const ProviderError& e) {
    fail(e);
  } catch (const std::exception& e) {
    log::error(std::string("gateway: stream failed: ") + e.what());
    try {
      throw ProviderError(ErrorKind::server, std::string("internal error: ") + e.what());
    } catch (const ProviderError& pe) {
      fail(pe);
    }
  }
  p->cv.notify_all();
}

}  // namespace

void start_stream(httplib::Response& res, const char* content_type, std::shared_ptr<StreamFramer> framer,
                  StreamProducer produce, StreamFinished finished) {
  auto pump = std::make_shared<Pump>();
  pump->th = std::thread(produce_on, pump.get(), framer, std::move(produce), std::move(finished));
  {
    std::unique_lock<std::mutex> lk(pump->mu);
    pump->cv.wait(lk, [&] { return pump->first || pump->done; });
    if (pump->early) {
      auto e = pump->early;
      lk.unlock();
      pump->th.join();
      std::rethrow_exception(e);
    }
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      content_type,
      [pump](size_t, httplib::DataSink& sink) {
        std::string out;
        for (;;) {
          bool fin;
          {
            std::unique_lock<std::mutex> lk(pump->mu);
            pump->cv.wait(lk, [&] { return !pump->buf.empty() || pump->done; });
            out.swap(pump->buf);
            fin = pump->done;
          }
          pump->cv.notify_all();  // the producer may be waiting for room
          if (!out.empty() && !sink.write(out.data(), out.size())) {
            pump->cancel_and_join();
            return false;
          }
          out.clear();
          if (fin) {
            sink.done();
            return true;
          }
        }
      },
      // Runs when the response is torn down, whether or not the stream was written: stop the
      // producer (it sees a refusing sink and cancels upstream) and wait for it.
      [pump](bool) { pump->cancel_and_join(); });
}

}  // namespace hearth::router
