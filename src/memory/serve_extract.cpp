#include "memory/serve_extract.h"

#include <algorithm>

#include "core/log.h"

namespace hearth::memory {

std::string ProviderModel::complete(const std::string& system, const std::string& user) {
  router::ChatRequest req;
  req.model = model_;
  req.messages.push_back({router::Role::system, system});
  req.messages.push_back({router::Role::user, user});
  req.temperature = 0;
  req.use_memory = false;  // the extractor's own prompt must not be augmented or extracted from
  return provider_.chat(req).message.content;
}

ExtractionReport extract_after(Store& store, ExtractorModel& model, const router::ChatRequest& req,
                               const router::ChatResponse& resp, const ExtractAfterOptions& opts) {
  if (!req.use_memory.value_or(opts.default_on) || opts.max_turns == 0) return {};
  std::vector<ChatTurn> turns;
  for (const auto& m : req.messages)
    if ((m.role == router::Role::user || m.role == router::Role::assistant) && !m.content.empty())
      turns.push_back({router::role_name(m.role), m.content});
  if (!resp.message.content.empty()) turns.push_back({"assistant", resp.message.content});
  if (turns.size() > opts.max_turns) turns.erase(turns.begin(), turns.end() - long(opts.max_turns));
  bool has_user = std::any_of(turns.begin(), turns.end(), [](const ChatTurn& t) { return t.role == "user"; });
  if (!has_user) return {};
  ExtractOptions eo;
  eo.scope = opts.scope;
  eo.conversation_id = req.request_id;
  eo.may_show = opts.may_show;
  return extract(store, model, turns, eo);
}

ExtractWorker::ExtractWorker(Store& store, ExtractorModel& model, ExtractAfterOptions opts, size_t max_queue)
    : store_(store), model_(model), opts_(std::move(opts)), max_queue_(std::max<size_t>(1, max_queue)) {
  thread_ = std::thread([this] { loop(); });
}

ExtractWorker::~ExtractWorker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool ExtractWorker::submit(const router::ChatRequest& req, const router::ChatResponse& resp) {
  if (!req.use_memory.value_or(opts_.default_on)) return true;  // nothing to do, nothing dropped
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queue_) {
      log::warn("memory: extraction queue full, skipping request " + req.request_id);
      return false;
    }
    queue_.emplace_back(req, resp);
  }
  cv_.notify_one();
  return true;
}

void ExtractWorker::drain() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

size_t ExtractWorker::processed() const {
  std::lock_guard lock(mu_);
  return processed_;
}

void ExtractWorker::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping with nothing left
    auto job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    try {
      extract_after(store_, model_, job.first, job.second, opts_);
    } catch (const std::exception& e) {
      log::warn("memory: extraction for request " + job.first.request_id + " failed: " + e.what());
    }
    lock.lock();
    busy_ = false;
    ++processed_;
    idle_.notify_all();
  }
}

}  // namespace hearth::memory
