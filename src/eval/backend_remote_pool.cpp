#include "eval/backend_remote_pool.h"

#include <condition_variable>
#include <deque>
#include <thread>

#include "core/error.h"
#include "core/log.h"

namespace hearth::eval {
namespace {

// Errors that say "this endpoint cannot serve right now", not "this request is bad": worth
// sending the request to another endpoint.
bool endpoint_fault(const router::ProviderError& e) {
  using K = router::ErrorKind;
  return e.retryable() || e.kind() == K::auth || e.kind() == K::not_found || e.kind() == K::refused;
}

}  // namespace

PoolBackend::PoolBackend(std::shared_ptr<router::Provider> router, const router::Pool& pool) : name_(pool.name) {
  for (const auto& e : pool.endpoints) {
    auto m = std::make_unique<Member>();
    m->model = e.model;
    m->concurrency = e.concurrency;
    m->backend = std::make_unique<RemoteBackend>(router, e.model, 1);
    members_.push_back(std::move(m));
  }
}

json PoolBackend::describe() const {
  json eps = json::array();
  std::lock_guard lk(mu_);
  for (const auto& m : members_) {
    json e = {{"model", m->model}, {"concurrency", m->concurrency}, {"requests", m->served.load()}};
    if (m->out) e["error"] = m->error;
    eps.push_back(std::move(e));
  }
  return {{"backend", "pool"}, {"pool", name_}, {"endpoints", eps}};
}

// Every reachable endpoint must score the same way, or shards would not be comparable; one that
// cannot be reached is taken out here already.
bool PoolBackend::supports_loglikelihood() const {
  size_t live = 0;
  for (const auto& m : members_) {
    if (m->out) continue;
    try {
      if (!m->backend->supports_loglikelihood()) return false;
      ++live;
    } catch (const router::ProviderError& e) {
      if (!endpoint_fault(e)) throw;
      take_out(*m, e.what());
    }
  }
  if (live == 0) fail(Errc::network, "pool '" + name_ + "': no endpoint is reachable (" + outages() + ")");
  return true;
}

std::string PoolBackend::loglikelihood_unavailable_reason() const {
  for (const auto& m : members_)
    if (!m->out && !m->backend->supports_loglikelihood())
      return "pool '" + name_ + "': " + m->backend->loglikelihood_unavailable_reason();
  return {};
}

void PoolBackend::take_out(Member& m, const std::string& why) const {
  if (m.out.exchange(true)) return;
  {
    std::lock_guard lk(mu_);
    m.error = why;
  }
  log::warn("eval: pool '" + name_ + "': endpoint " + m.model + " taken out of the run: " + why);
}

std::string PoolBackend::outages() const {
  std::lock_guard lk(mu_);
  std::string s;
  for (const auto& m : members_)
    if (m->out) s += (s.empty() ? "" : "; ") + m->model + ": " + m->error;
  return s;
}

void PoolBackend::run(size_t n, const std::function<void(Member&, size_t)>& fn, const std::function<void(size_t)>& done) {
  std::mutex qmu;
  std::condition_variable cv;
  std::deque<size_t> queue;
  for (size_t i = 0; i < n; ++i) queue.push_back(i);
  size_t remaining = n;
  size_t live = 0;
  for (const auto& m : members_) live += m->out ? 0 : 1;
  std::exception_ptr err;

  auto worker = [&](Member& m) {
    for (;;) {
      size_t i;
      {
        std::unique_lock lk(qmu);
        // Wait while others still hold requests that may come back to the queue.
        cv.wait(lk, [&] { return !queue.empty() || remaining == 0 || err || m.out; });
        if (queue.empty() || err || m.out) return;
        i = queue.front();
        queue.pop_front();
      }
      try {
        fn(m, i);
        ++m.served;
        std::lock_guard lk(qmu);
        if (done) done(i);
        if (--remaining == 0) cv.notify_all();
      } catch (const router::ProviderError& e) {
        std::lock_guard lk(qmu);
        if (!endpoint_fault(e)) {
          if (!err) err = std::current_exception();
          cv.notify_all();
          return;
        }
        if (!m.out) {
          --live;
          take_out(m, e.what());
        }
        queue.push_front(i);  // another endpoint takes it
        if (live == 0 && !err)
          err = std::make_exception_ptr(router::ProviderError(e.kind(), "pool '" + name_ + "': every endpoint failed (" + outages() + ")"));
        cv.notify_all();
        return;
      } catch (...) {
        std::lock_guard lk(qmu);
        if (!err) err = std::current_exception();
        cv.notify_all();
        return;
      }
    }
  };
  if (live == 0) fail(Errc::network, "pool '" + name_ + "': every endpoint failed earlier in this run");
  std::vector<std::thread> th;
  for (auto& m : members_) {
    if (m->out) continue;
    int k = static_cast<int>(std::min<size_t>(static_cast<size_t>(m->concurrency), n));
    for (int t = 0; t < k; ++t) th.emplace_back(worker, std::ref(*m));
  }
  for (auto& t : th) t.join();
  if (err) std::rethrow_exception(err);
}

std::vector<LoglikelihoodResult> PoolBackend::loglikelihood(const std::vector<LoglikelihoodRequest>& reqs,
                                                            const OnLoglikelihood& done) {
  if (!supports_loglikelihood()) fail(Errc::unsupported, loglikelihood_unavailable_reason());
  std::vector<LoglikelihoodResult> out(reqs.size());
  run(reqs.size(), [&](Member& m, size_t i) { out[i] = m.backend->loglikelihood({reqs[i]}, nullptr)[0]; },
      [&](size_t i) { if (done) done(i, out[i]); });
  return out;
}

std::vector<std::string> PoolBackend::generate(const std::vector<GenerateRequest>& reqs, const OnGenerated& done) {
  std::vector<std::string> out(reqs.size());
  run(reqs.size(), [&](Member& m, size_t i) { out[i] = m.backend->generate({reqs[i]}, nullptr)[0]; },
      [&](size_t i) { if (done) done(i, out[i]); });
  return out;
}

// One text: the next live endpoint in turn, falling over to the others on endpoint faults.
RollingResult PoolBackend::loglikelihood_rolling(const std::string& text, const RollingOptions& opt) {
  RollingResult r;
  size_t start = rr_.fetch_add(1);
  for (size_t k = 0; k < members_.size(); ++k) {
    Member& m = *members_[(start + k) % members_.size()];
    if (m.out) continue;
    try {
      r = m.backend->loglikelihood_rolling(text, opt);
      ++m.served;
      return r;
    } catch (const router::ProviderError& e) {
      if (!endpoint_fault(e)) throw;
      take_out(m, e.what());
    }
  }
  fail(Errc::network, "pool '" + name_ + "': no endpoint could score the text (" + outages() + ")");
}

}  // namespace hearth::eval
