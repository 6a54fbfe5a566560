#include "app/model_pool.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "engine/loader.h"
#include "gguf/gguf.h"
#include "model/arch.h"
#include "model/hparams.h"

namespace hearth::app {
namespace {

using Clock = std::chrono::steady_clock;
using router::ErrorKind;
using router::ProviderError;

// A scheduler's running totals added to the pool's (gauges are summed where they are read).
void add_totals(server::EngineCounters& c, const engine::SchedulerMetrics& m) {
  c.requests_total += m.requests_total;
  c.rejected_total += m.rejected_total;
  c.cancelled_total += m.cancelled_total;
  c.prompt_tokens_total += m.prompt_tokens_total;
  c.cached_tokens_total += m.cached_tokens_total;
  c.generated_tokens_total += m.generated_tokens_total;
  c.steps_total += m.steps_total;
  c.draft_tokens_total += m.draft_tokens_total;
  c.draft_accepted_total += m.draft_accepted_total;
}

uint64_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

std::string iso_in(double seconds) { return utc_time_text(std::time(nullptr) + static_cast<std::time_t>(seconds)); }

// Ollama clients say "name:latest" for a model called "name".
std::string without_latest(const std::string& name) {
  const std::string tag = ":latest";
  if (name.size() > tag.size() && name.compare(name.size() - tag.size(), tag.size(), tag) == 0)
    return name.substr(0, name.size() - tag.size());
  return name;
}

}  // namespace

uint64_t estimate_model_bytes(const std::string& path, const engine::SchedulerOptions& sched) {
  const gguf::File f = gguf::File::open(path);
  uint64_t bytes = 0;
  for (const auto& t : f.tensors()) bytes += t.nbytes;
  const model::ArchDef* arch = model::find_arch(f.architecture());
  if (!arch) return bytes;
  const model::HParams hp = model::read_hparams(f, *arch);
  const int64_t per_slot = std::min<int64_t>(hp.n_ctx_train, 4096);
  const int64_t tokens = sched.n_ctx > 0 ? sched.n_ctx : per_slot * std::max(1, sched.parallel);
  bytes += model::KvCache::bytes(hp, tokens, sched.kv_types);
  if (!sched.draft_model.empty()) {  // the draft's weights and its cache in every slot
    engine::SchedulerOptions d = sched;
    d.draft_model.clear();
    bytes += estimate_model_bytes(sched.draft_model, d);
  }
  return bytes;
}

struct ModelPool::Entry {
  PoolModel model;
  std::shared_ptr<EngineBackend> backend;  // set once loaded
  std::shared_ptr<engine::Scheduler> sched;
  bool loading = false;
  std::string error;
  uint64_t bytes = 0;
  uint64_t gpu_bytes = 0;  // of its weights, on the device
  int active = 0;
  Clock::time_point last_used{};
  double keep_alive_s = 300;  // of the last request
};

// Holds a loaded model for one request; the model is not unloaded while any lease exists.
class ModelPool::Lease {
 public:
  Lease(ModelPool* pool, Entry* e, double keep_alive) : pool_(pool), e_(e), keep_alive_(keep_alive) {}
  Lease(Lease&& o) noexcept : pool_(o.pool_), e_(o.e_), keep_alive_(o.keep_alive_) { o.e_ = nullptr; }
  Lease(const Lease&) = delete;
  ~Lease() {
    if (!e_) return;
    std::lock_guard<std::mutex> lk(pool_->mu_);
    --e_->active;
    e_->last_used = Clock::now();
    e_->keep_alive_s = keep_alive_;
    pool_->cv_.notify_all();
  }
  EngineBackend& backend() const { return *e_->backend; }

 private:
  ModelPool* pool_;
  Entry* e_;
  double keep_alive_;
};

ModelPool::ModelPool(ModelPoolOptions opts) : opts_(std::move(opts)) {
  if (opts_.models.empty()) fail(Errc::invalid_argument, "serve: no model to serve");
  max_memory_ = opts_.max_memory ? opts_.max_memory : physical_memory() / 10 * 8;
  device_budget_ = opts_.load.gpu_memory;
  for (const auto& m : opts_.models) {
    if (entries_.count(m.name)) fail(Errc::invalid_argument, "serve: two models are called '" + m.name + "' (use --alias)");
    auto e = std::make_unique<Entry>();
    e->model = m;
    e->keep_alive_s = opts_.keep_alive_s;
    entries_[m.name] = std::move(e);
  }
  default_name_ = opts_.models.front().name;
  reaper_ = std::thread([this] { reap_loop(); });
}

ModelPool::~ModelPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (initial_.joinable()) initial_.join();
  if (reaper_.joinable()) reaper_.join();
}

void ModelPool::discover() {
  if (!opts_.discover) return;
  for (const auto& m : opts_.discover()) {
    if (entries_.count(m.name)) continue;
    auto e = std::make_unique<Entry>();
    e->model = m;
    e->keep_alive_s = opts_.keep_alive_s;
    entries_[m.name] = std::move(e);
  }
}

ModelPool::Entry* ModelPool::find(const std::string& asked) {
  const std::string name = asked.empty() ? default_name_ : asked;
  for (int pass = 0; pass < 2; ++pass) {
    for (const std::string& n : {name, without_latest(name)}) {
      auto it = entries_.find(n);
      if (it != entries_.end()) return it->second.get();
    }
    if (pass == 0) discover();
  }
  return nullptr;
}

// Unloads idle models, least recently used first, until `incoming` fits both limits.
void ModelPool::make_room(const Entry& incoming, std::unique_lock<std::mutex>& lk) {
  for (;;) {
    int loaded = 0;
    uint64_t used = 0;
    Entry* lru = nullptr;
    for (auto& [n, e] : entries_) {
      if (!e->backend && !e->loading) continue;
      if (e.get() == &incoming) continue;
      ++loaded;
      used += e->bytes;
      if (e->backend && e->active == 0 && (!lru || e->last_used < lru->last_used)) lru = e.get();
    }
    const bool fits = loaded < opts_.max_models && used + incoming.bytes <= max_memory_;
    if (fits || loaded == 0) {
      if (!fits)
        log::warn("serve: model '" + incoming.model.name + "' needs " + std::to_string(incoming.bytes >> 20) +
                  " MiB, more than --max-memory allows; loading it anyway as the only model");
      return;
    }
    if (!lru)
      throw ProviderError(ErrorKind::overloaded,
                          "cannot load '" + incoming.model.name + "': " + std::to_string(loaded) +
                              " model(s) are busy and no more fit (--max-models " + std::to_string(opts_.max_models) +
                              ", --max-memory " + std::to_string(max_memory_ >> 20) + " MiB)",
                          503, 2.0);
    log::info("serve: unloading '" + lru->model.name + "' to make room for '" + incoming.model.name + "'");
    drop(*lru);
  }
}

// Every loaded model keeps the device memory its weights took, so a new one plans with the rest
// of the budget (-ngl auto then takes the layers that fit there). When its layers do not fit
// (out_of_range from the offload), idle models holding device memory are unloaded, least
// recently used first, and the load is tried again; busy ones are never taken from. (Two loads
// at the same moment both plan with the same remainder and may together pass the budget; past
// the device's real memory its allocation fails with an out-of-memory error.)
std::shared_ptr<engine::Scheduler> ModelPool::load_on_shared_device(const Entry& e,
                                                                    const engine::SchedulerOptions& so) {
  for (;;) {
    model::LoadOptions lo = opts_.load;
    uint64_t held = 0;
    std::string holders;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (lo.gpu_layers != 0 && device_budget_ > 0) {
        for (const auto& [n, o] : entries_)
          if (o.get() != &e && o->backend && o->gpu_bytes > 0) {
            held += o->gpu_bytes;
            holders += (holders.empty() ? "'" : ", '") + n + "'";
          }
        // (1 byte when nothing is left: 0 would mean the whole device.)
        lo.gpu_memory = held < device_budget_ ? device_budget_ - held : 1;
      }
    }
    try {
      return std::make_shared<engine::Scheduler>(engine::load_model(e.model.path, lo), so);
    } catch (const Error& err) {
      if (err.code() != Errc::out_of_range || held == 0) throw;
      std::lock_guard<std::mutex> lk(mu_);
      Entry* lru = nullptr;
      for (auto& [n, o] : entries_)
        if (o.get() != &e && o->backend && o->gpu_bytes > 0 && o->active == 0 && (!lru || o->last_used < lru->last_used))
          lru = o.get();
      if (!lru)
        fail(Errc::out_of_range, std::string(err.what()) + " (" + std::to_string(held >> 20) + " MiB of the device's " +
                                     std::to_string(device_budget_ >> 20) + " MiB are held by " + holders +
                                     ", busy now)");
      log::info("serve: unloading '" + lru->model.name + "' to free device memory for '" + e.model.name + "'");
      drop(*lru);
    }
  }
}

void ModelPool::drop(Entry& e) {
  if (auto s = e.sched) {
    add_totals(retired_, s->metrics());
  }
  e.backend.reset();
  e.sched.reset();
}

// Called with the lock held and e not loaded; loads without the lock (other models keep serving)
// while requests for e wait for `loading` to clear.
void ModelPool::load(Entry& e, std::unique_lock<std::mutex>& lk) {
  e.loading = true;
  e.error.clear();
  const PoolModel m = e.model;
  lk.unlock();
  std::shared_ptr<engine::Scheduler> sched;
  std::shared_ptr<EngineBackend> backend;
  std::string err;
  uint64_t bytes = 0;
  try {
    engine::SchedulerOptions so = opts_.sched;
    so.prefix = m.prefix;
    // A draft model shares one model's vocabulary: it pairs with the default model.
    if (opts_.models.empty() || m.path != opts_.models.front().path) so.draft_model.clear();
    bytes = estimate_model_bytes(m.path, so);
    {
      std::unique_lock<std::mutex> lk2(mu_);
      e.bytes = bytes;
      make_room(e, lk2);
    }
    sched = load_on_shared_device(e, so);
    backend = std::make_shared<EngineBackend>(sched, m.name, opts_.chat_template, m.system);
  } catch (const ProviderError&) {
    lk.lock();
    e.loading = false;
    cv_.notify_all();
    throw;
  } catch (const std::exception& ex) {
    err = ex.what();
  }
  lk.lock();
  e.loading = false;
  if (err.empty()) {
    e.sched = std::move(sched);
    e.backend = std::move(backend);
    e.bytes = bytes;
    e.last_used = Clock::now();
    const model::OffloadReport* gpu = e.sched->model().offload();
    e.gpu_bytes = gpu ? gpu->weight_bytes : 0;
    if (gpu && device_budget_ == 0) device_budget_ = gpu->memory;
    log::info("serve: loaded '" + m.name + "' (" + std::to_string(bytes >> 20) + " MiB)");
  } else {
    e.error = err;
  }
  cv_.notify_all();
  if (!err.empty()) throw ProviderError(ErrorKind::server, "cannot load model '" + m.name + "': " + err, 500);
}

ModelPool::Entry& ModelPool::loaded(const std::string& name, std::unique_lock<std::mutex>& lk) {
  Entry* e = find(name);
  if (!e) {
    std::string known;
    for (const auto& [n, _] : entries_) known += (known.empty() ? "" : ", ") + n;
    throw ProviderError(ErrorKind::not_found, "model '" + name + "' is not one this server knows (" + known + ")", 404);
  }
  cv_.wait(lk, [&] { return !e->loading || stopping_; });
  if (stopping_) throw ProviderError(ErrorKind::overloaded, "the server is shutting down", 503);
  if (!e->backend) load(*e, lk);
  return *e;
}

ModelPool::Lease ModelPool::acquire(const std::string& name, std::optional<double> keep_alive_s) {
  std::unique_lock<std::mutex> lk(mu_);
  Entry& e = loaded(name, lk);
  ++e.active;
  e.last_used = Clock::now();
  // The default model stays loaded unless a request says otherwise (Ollama's keep_alive).
  const double fallback = e.model.name == default_name_ ? -1.0 : opts_.keep_alive_s;
  return Lease(this, &e, keep_alive_s.value_or(fallback));
}

void ModelPool::reap_loop() {
  std::unique_lock<std::mutex> lk(mu_);
  while (!stopping_) {
    cv_.wait_for(lk, std::chrono::milliseconds(250));
    const auto now = Clock::now();
    for (auto& [n, e] : entries_) {
      if (!e->backend || e->active > 0 || e->keep_alive_s < 0) continue;
      const double idle = std::chrono::duration<double>(now - e->last_used).count();
      if (idle >= e->keep_alive_s) {
        log::info("serve: unloading '" + n + "' after its keep-alive");
        drop(*e);
      }
    }
  }
}

void ModelPool::load_default_async(std::function<void(const std::string&)> on_ready) {
  initial_ = std::thread([this, on_ready] {
    std::string err;
    try {
      // Loaded without a lease: a request for another model that arrives the moment this one is
      // ready may unload it (with --max-models 1) instead of finding it busy.
      std::unique_lock<std::mutex> lk(mu_);
      Entry& e = loaded(default_name_, lk);
      e.last_used = Clock::now();
      e.keep_alive_s = -1;
    } catch (const std::exception& e) {
      err = e.what();
    }
    if (on_ready) on_ready(err);
  });
}

std::vector<PoolModelState> ModelPool::states() {
  std::lock_guard<std::mutex> lk(mu_);
  discover();
  std::vector<PoolModelState> out;
  const auto now = Clock::now();
  for (const auto& [n, e] : entries_) {
    PoolModelState s;
    s.name = n;
    s.path = e->model.path;
    s.loaded = e->backend != nullptr;
    s.loading = e->loading;
    s.bytes = e->bytes;
    s.gpu_bytes = s.loaded ? e->gpu_bytes : 0;
    s.active = e->active;
    s.error = e->error;
    if (s.loaded && e->keep_alive_s >= 0) {
      const double idle = std::chrono::duration<double>(now - e->last_used).count();
      s.expires_in_s = e->active > 0 ? e->keep_alive_s : std::max(0.0, e->keep_alive_s - idle);
      s.expires_at = iso_in(s.expires_in_s);
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool ModelPool::unload(const std::string& name) {
  std::lock_guard<std::mutex> lk(mu_);
  Entry* e = find(name);
  if (!e || !e->backend) return false;
  e->keep_alive_s = 0;  // the reaper drops it as soon as it is idle
  cv_.notify_all();
  return true;
}

void ModelPool::forget(const std::string& name) {
  std::unique_lock<std::mutex> lk(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  cv_.wait(lk, [&] { return (it->second->active == 0 && !it->second->loading) || stopping_; });
  drop(*it->second);
  if (name != default_name_) entries_.erase(it);
}

void ModelPool::chat_stream(const router::ChatRequest& req, const router::StreamSink& sink) {
  auto lease = acquire(req.model, req.keep_alive_s);
  router::ChatRequest up = req;
  up.model = lease.backend().name();
  lease.backend().chat_stream(up, sink);
}

void ModelPool::completion_stream(const router::CompletionRequest& req, const router::StreamSink& sink) {
  auto lease = acquire(req.model, req.keep_alive_s);
  router::CompletionRequest up = req;
  up.model = lease.backend().name();
  lease.backend().completion_stream(up, sink);
}

router::EmbeddingResponse ModelPool::embed(const router::EmbeddingRequest& req) {
  auto lease = acquire(req.model, std::nullopt);
  router::EmbeddingRequest up = req;
  up.model = lease.backend().name();
  return lease.backend().embed(up);
}

json ModelPool::show(const std::string& model) {
  auto lease = acquire(model, std::nullopt);
  return lease.backend().show(lease.backend().name());
}

int64_t ModelPool::count_tokens(const router::ChatRequest& req) {
  auto lease = acquire(req.model, std::nullopt);
  router::ChatRequest up = req;
  up.model = lease.backend().name();
  return lease.backend().count_tokens(up);
}

std::vector<router::LocalBackend::Status> ModelPool::status() {
  std::vector<Status> out;
  for (const auto& s : states()) out.push_back({s.name, s.loaded, s.bytes, s.expires_at, s.gpu_bytes});
  return out;
}

void ModelPool::preload(const std::string& model, std::optional<double> keep_alive_s) {
  if (keep_alive_s && *keep_alive_s == 0) {
    unload(model);
    return;
  }
  acquire(model, keep_alive_s);
}

std::vector<std::string> ModelPool::models() {
  std::vector<std::string> out;
  for (const auto& s : states()) out.push_back(s.name);
  return out;
}

router::Capabilities ModelPool::capabilities(const std::string& model) {
  std::lock_guard<std::mutex> lk(mu_);
  Entry* e = find(model);
  if (e && e->backend) return e->backend->capabilities(e->model.name);
  router::Capabilities c;  // not loaded: what every local model offers
  c.tools = true;
  c.json_mode = true;
  c.grammar = true;
  c.embeddings = true;
  return c;
}

std::shared_ptr<EngineBackend> ModelPool::default_backend() const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = entries_.find(default_name_);
  return it == entries_.end() ? nullptr : it->second->backend;
}

std::string ModelPool::model_name() const { return default_name_; }

server::EngineState ModelPool::state() const {
  std::lock_guard<std::mutex> lk(mu_);
  const Entry& e = *entries_.at(default_name_);
  if (e.backend) return server::EngineState::ready;
  if (!e.error.empty()) return server::EngineState::failed;
  return server::EngineState::loading;
}

std::string ModelPool::load_error() const {
  std::lock_guard<std::mutex> lk(mu_);
  return entries_.at(default_name_)->error;
}

server::EngineCounters ModelPool::counters() const {
  std::lock_guard<std::mutex> lk(mu_);
  server::EngineCounters c = retired_;
  c.generation_tps = c.prompt_tps = 0;
  for (const auto& [n, e] : entries_) {
    if (!e->sched) continue;
    const auto m = e->sched->metrics();
    add_totals(c, m);
    c.queue_depth += m.queue_depth;
    c.slots_busy += m.slots_busy;
    c.generation_tps += m.generation_tps;
    c.prompt_tps += m.prompt_tps;
  }
  c.slots_total = opts_.sched.parallel;
  return c;
}

std::vector<server::EngineView::ModelLoad> ModelPool::model_loads() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<ModelLoad> out;
  for (const auto& [n, e] : entries_) out.push_back({n, e->backend != nullptr, e->bytes});
  return out;
}

std::vector<int32_t> ModelPool::tokenize(const std::string& text, bool add_special, bool parse_special) const {
  auto b = default_backend();
  if (!b) fail(Errc::overloaded, "the model is still loading");
  return b->scheduler().tokenizer().encode(text, add_special, parse_special);
}

std::string ModelPool::token_piece(int32_t id, bool render_special) const {
  auto b = default_backend();
  if (!b) fail(Errc::overloaded, "the model is still loading");
  return b->scheduler().tokenizer().token_to_piece(id, render_special);
}

int64_t ModelPool::n_vocab() const {
  auto b = default_backend();
  return b ? b->scheduler().model().n_vocab() : 0;
}

}  // namespace hearth::app
