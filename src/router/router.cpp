#include "router/router.h"

#include <set>

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/log.h"
#include "core/paths.h"

namespace hearth::router {

double cost_of(const ModelEntry& m, const Usage& u) {
  return (static_cast<double>(u.input_tokens) * m.input_price + static_cast<double>(u.output_tokens) * m.output_price) / 1e6;
}

RouteError::RouteError(const ProviderError& last, RouteInfo info)
    : ProviderError(last.kind(), last.what(), last.http_status(), last.retry_after()), info_(std::move(info)) {
  with_param(last.param());
}

Router::Router(RouterConfig cfg, RouterOptions opts)
    : cfg_(std::move(cfg)), opts_(std::move(opts)), rng_(opts_.seed ? opts_.seed : std::random_device{}()) {
  if (!opts_.now_ms)
    opts_.now_ms = [] {
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    };
  if (!opts_.sleep_ms)
    opts_.sleep_ms = [](double ms) { std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(ms * 1000))); };
  if (opts_.use_ledger) ledger_ = std::make_unique<Ledger>(cfg_.ledger_dir.empty() ? hearth_home() / "ledger" : cfg_.ledger_dir);
  budget_ = std::make_unique<Budget>(cfg_.budgets, ledger_.get());
  if (!opts_.local) opts_.local = std::make_shared<LocalBackendSlot>();
  const ProviderContext ctx{opts_.local};
  for (const auto& [name, pc] : cfg_.providers) providers_[name] = make_provider(pc, ctx);
}

Router::~Router() = default;

void Router::set_provider(const std::string& name, std::shared_ptr<Provider> p) {
  std::lock_guard<std::mutex> lk(mu_);
  providers_[name] = std::move(p);
}

std::shared_ptr<Provider> Router::provider(const std::string& name) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = providers_.find(name);
  if (it == providers_.end()) throw ProviderError(ErrorKind::not_found, "unknown provider '" + name + "'");
  return it->second;
}

Target Router::target_for(const std::string& ref) {
  for (const auto& m : cfg_.models)
    if (!m.name.empty() && m.name == ref) return {m, cfg_.providers.at(m.provider).remote};
  // A bare name (or Ollama's NAME:latest) of a model the in-process engine can run, e.g. one
  // pulled after the server started.
  if (auto b = opts_.local->get())
    for (const auto& [pname, pc] : cfg_.providers) {
      if (pc.type != "local") continue;
      for (const auto& m : b->models())
        if (m == ref || m + ":latest" == ref) {
          ModelEntry e;
          e.provider = pname;
          e.model = m;
          e.caps = b->capabilities(m);
          return {e, false};
        }
    }
  auto colon = ref.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == ref.size())
    throw ProviderError(ErrorKind::not_found, "unknown model '" + ref + "' (use provider:model, an alias or a policy name)");
  std::string prov = ref.substr(0, colon), model = ref.substr(colon + 1);
  auto pit = cfg_.providers.find(prov);
  if (pit == cfg_.providers.end()) throw ProviderError(ErrorKind::not_found, "model '" + ref + "': unknown provider '" + prov + "'");
  for (const auto& m : cfg_.models)
    if (m.provider == prov && m.model == model) return {m, pit->second.remote};
  ModelEntry e;
  e.provider = prov;
  e.model = model;
  return {e, pit->second.remote};
}

std::vector<Target> Router::resolve(const std::string& name_in, Strategy* strategy) {
  std::string name = name_in.empty() ? cfg_.default_model : name_in;
  if (name.empty()) throw ProviderError(ErrorKind::bad_request, "no model given and no default_model configured");
  auto pit = cfg_.policies.find(name);
  if (pit != cfg_.policies.end()) {
    *strategy = pit->second.strategy;
    std::vector<Target> out;
    for (const auto& ref : pit->second.models) out.push_back(target_for(ref));
    return out;
  }
  *strategy = Strategy::fixed;
  return {target_for(name)};
}

static int64_t estimate_input_tokens(const ChatRequest& req) {
  size_t chars = 0;
  for (const auto& m : req.messages) {
    chars += m.content.size() + 8;
    for (const auto& c : m.tool_calls) chars += c.arguments.size() + c.name.size();
  }
  for (const auto& t : req.tools) chars += t.description.size() + t.parameters.dump().size();
  return static_cast<int64_t>(chars / 4 + 1);  // ~4 bytes per token: good enough to filter
}

std::vector<Target> Router::plan(const ChatRequest& req) {
  Strategy strategy;
  auto targets = resolve(req.model, &strategy);
  if (!req.image_inputs.empty())
    throw ProviderError(ErrorKind::bad_request, "model '" + req.model + "' has no vision support: it cannot read the image at " +
                                                    req.image_inputs.front() + " (send text only)")
        .with_param(req.image_inputs.front());
  if (opts_.local_only) {
    std::vector<Target> kept;
    std::string refused;
    for (auto& t : targets) {
      if (t.remote) refused += t.ref() + " ";
      else kept.push_back(t);
    }
    if (kept.empty())
      throw ProviderError(ErrorKind::refused, "--local-only: refusing remote provider(s) " + refused + "for '" + req.model + "'");
    targets = std::move(kept);
  }
  int64_t need_ctx = estimate_input_tokens(req) + req.max_tokens.value_or(0);
  if (strategy != Strategy::fixed) {
    std::vector<Target> kept;
    for (auto& t : targets) {
      const auto& c = t.entry.caps;
      if (!req.tools.empty() && !c.tools) continue;
      if (req.format.json && !c.json_mode) continue;
      if (!req.format.grammar.empty() && !c.grammar) continue;
      if (c.context_length > 0 && c.context_length < need_ctx) continue;
      kept.push_back(t);
    }
    if (kept.empty())
      throw ProviderError(ErrorKind::bad_request, "no model in '" + req.model + "' supports this request (tools=" +
                                                      std::to_string(!req.tools.empty()) + ", json=" + std::to_string(req.format.json) +
                                                      ", grammar=" + std::to_string(!req.format.grammar.empty()) +
                                                      ", ~" + std::to_string(need_ctx) + " tokens of context)");
    targets = std::move(kept);
  }
  int64_t est_out = req.max_tokens.value_or(256);
  std::lock_guard<std::mutex> lk(mu_);
  switch (strategy) {
    case Strategy::fixed:
    case Strategy::fallback: break;
    case Strategy::cheapest: {
      Usage u{need_ctx - req.max_tokens.value_or(0), est_out};
      std::stable_sort(targets.begin(), targets.end(),
                       [&](const Target& a, const Target& b) { return cost_of(a.entry, u) < cost_of(b.entry, u); });
      break;
    }
    case Strategy::fastest: {
      // Unmeasured targets go first so every target gets measured (warm-up), then by expected
      // completion time: time to first token plus output at the measured speed.
      auto expected = [&](const Target& t) {
        auto it = stats_.find(t.ref());
        if (it == stats_.end() || it->second.samples == 0) return -1.0;
        const auto& s = it->second;
        return s.ttft_ms + (s.tokens_per_s > 0 ? 1000.0 * static_cast<double>(est_out) / s.tokens_per_s : 0);
      };
      std::stable_sort(targets.begin(), targets.end(), [&](const Target& a, const Target& b) { return expected(a) < expected(b); });
      break;
    }
    case Strategy::weighted: {
      double total = 0;
      for (const auto& t : targets) total += t.entry.weight;
      if (total > 0) {
        double x = std::uniform_real_distribution<double>(0, total)(rng_);
        size_t pick = targets.size() - 1;
        for (size_t i = 0; i < targets.size(); ++i) {
          if (x < targets[i].entry.weight) { pick = i; break; }
          x -= targets[i].entry.weight;
        }
        std::rotate(targets.begin(), targets.begin() + static_cast<long>(pick), targets.begin() + static_cast<long>(pick) + 1);
      }
      break;
    }
    case Strategy::least_busy:
      std::stable_sort(targets.begin(), targets.end(), [&](const Target& a, const Target& b) {
        auto ia = stats_.find(a.ref()), ib = stats_.find(b.ref());
        int fa = ia == stats_.end() ? 0 : ia->second.in_flight, fb = ib == stats_.end() ? 0 : ib->second.in_flight;
        return fa < fb;
      });
      break;
  }
  return targets;
}

bool Router::breaker_allows(const std::string& p) {
  std::lock_guard<std::mutex> lk(mu_);
  auto& b = breakers_[p];
  if (!b.open) return true;
  if (now() < b.open_until || b.trial) return false;
  b.trial = true;  // half-open: exactly one request probes the provider
  return true;
}

void Router::breaker_result(const std::string& p, bool ok) {
  std::lock_guard<std::mutex> lk(mu_);
  auto& b = breakers_[p];
  b.trial = false;
  if (ok) {
    b = Breaker{};
    return;
  }
  if (b.open || ++b.failures >= cfg_.breaker.failures) {
    if (!b.open) log::warn("router: circuit for '" + p + "' opened after " + std::to_string(b.failures) + " failures");
    b.open = true;
    b.open_until = now() + cfg_.breaker.cooldown_ms;
  }
}

BreakerState Router::breaker(const std::string& name) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto state = [&](const Breaker& b) {
    if (!b.open) return BreakerState::closed;
    return now() < b.open_until ? BreakerState::open : BreakerState::half_open;
  };
  if (name.find(':') != std::string::npos) {
    auto it = breakers_.find(name);
    return it == breakers_.end() ? BreakerState::closed : state(it->second);
  }
  // A provider's name: the most open of its models' circuits.
  BreakerState worst = BreakerState::closed;
  for (const auto& [ref, b] : breakers_)
    if (ref.compare(0, name.size() + 1, name + ":") == 0) {
      const BreakerState s = state(b);
      if (s == BreakerState::open || (s == BreakerState::half_open && worst == BreakerState::closed)) worst = s;
    }
  return worst;
}

std::vector<std::pair<std::string, TargetStats>> Router::all_stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  return {stats_.begin(), stats_.end()};
}

TargetStats Router::stats(const std::string& ref) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = stats_.find(ref);
  return it == stats_.end() ? TargetStats{} : it->second;
}

void Router::record_latency(const std::string& ref, double ttft, double total, int64_t out_tokens) {
  std::lock_guard<std::mutex> lk(mu_);
  auto& s = stats_[ref];
  constexpr double kAlpha = 0.3;  // exponential moving average: recent calls dominate
  double gen_ms = total - ttft;
  double tps = out_tokens > 0 && gen_ms > 0 ? 1000.0 * static_cast<double>(out_tokens) / gen_ms : 0;
  if (s.samples == 0) {
    s.ttft_ms = ttft;
    s.tokens_per_s = tps;
  } else {
    s.ttft_ms = kAlpha * ttft + (1 - kAlpha) * s.ttft_ms;
    if (tps > 0) s.tokens_per_s = s.tokens_per_s > 0 ? kAlpha * tps + (1 - kAlpha) * s.tokens_per_s : tps;
  }
  ++s.samples;
}

Router::SentLine Router::record_sent(const ChatRequest& sent, const Target& t, int64_t input_estimate) {
  LedgerRecord r;
  r.time = iso_now();
  r.request_id = sent.request_id;
  {
    std::lock_guard<std::mutex> lk(mu_);
    char id[24];
    std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng_()));
    r.attempt = id;
  }
  r.provider = t.entry.provider;
  r.model = t.entry.model;
  r.key = sent.api_key_id;
  r.status = "sent";
  r.sent_line = true;
  r.estimated = true;
  r.input_tokens = input_estimate;
  r.cost_usd = cost_of(t.entry, Usage{input_estimate, 0, 0});  // what a killed attempt counts as
  r.memory_ids = sent.memory_ids;
  SentLine line{r, 0};
  try {
    line.seq = ledger_->write(std::move(r));
    if (cfg_.ledger_sync == LedgerSync::strict) ledger_->sync(line.seq);
  } catch (const Error& e) {
    throw ProviderError(ErrorKind::refused, std::string("not sent to ") + t.ref() + ": the ledger could not record it (" + e.what() + ")");
  }
  return line;
}

void Router::record_outcome(const SentLine& sent, const std::string& status, const Usage& u, bool estimated, double cost) {
  LedgerRecord r = sent.record;
  r.sent_line = false;
  r.status = status;
  r.input_tokens = u.input_tokens;
  r.output_tokens = u.output_tokens;
  r.estimated = estimated;
  r.cost_usd = cost;
  uint64_t wait_for = sent.seq;
  try {
    const uint64_t seq = ledger_->write(std::move(r));
    if (cfg_.ledger_sync == LedgerSync::strict) wait_for = seq;
  } catch (const Error& e) {
    // The "sent" line is in the file; reading it back counts the attempt at its estimate.
    log::error(std::string("router: ") + e.what());
  }
  try {
    ledger_->sync(wait_for);
  } catch (const Error& e) {
    log::error(std::string("router: ") + e.what());
  }
}

// The most an attempt can cost: its input (estimated) plus as many output tokens as it may
// generate: max_tokens, else what the model's context leaves, else 4096; never more than the
// model's max_output_tokens when the config gives one.
static double worst_case_cost(const Target& t, const ChatRequest& sent, int64_t input_estimate) {
  int64_t out = 4096;
  if (sent.max_tokens) out = std::max(0, *sent.max_tokens);
  else if (t.entry.caps.context_length > 0) out = std::max<int64_t>(0, t.entry.caps.context_length - input_estimate);
  if (t.entry.max_output_tokens > 0) out = std::min(out, t.entry.max_output_tokens);
  return cost_of(t.entry, Usage{input_estimate, out, 0});
}

static size_t output_bytes(const ChatResponse& r) {
  size_t n = r.message.content.size() + r.message.reasoning.size();
  for (const auto& c : r.message.tool_calls) n += c.name.size() + c.arguments.size();
  return n;
}

void Router::set_keys(std::shared_ptr<KeyStore> keys) {
  keys_ = std::move(keys);
  if (!keys_) return;
  budget_->set_key_limits([store = keys_](const std::string& key) -> std::optional<std::pair<double, Period>> {
    auto k = store->by_name(key);
    if (!k) return std::nullopt;
    return std::make_pair(k->budget_usd, k->period);
  });
}

std::optional<VirtualKey> Router::admit(const ChatRequest& req) {
  if (!keys_ || req.api_key_id.empty()) return std::nullopt;
  auto k = keys_->by_name(req.api_key_id);
  if (!k) return std::nullopt;
  if (!k->revoked.empty()) throw ProviderError(ErrorKind::auth, "the key '" + k->name + "' was revoked on " + k->revoked);
  const std::string model = req.model.empty() ? cfg_.default_model : req.model;
  if (!k->allows(model)) {
    std::string list;
    for (const auto& m : k->models) list += (list.empty() ? "" : ", ") + m;
    throw ProviderError(ErrorKind::refused, "the key '" + k->name + "' may not use model '" + model + "' (allowed: " + list + ")")
        .with_param("model");
  }
  const double wait = limiter_.admit(k->name, k->rpm, k->tpm, now() / 1000.0);
  if (wait > 0) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "the key '%s' is over its limit of %d requests and %d tokens per minute (0 = none); retry in %.0f s",
                  k->name.c_str(), k->rpm, k->tpm, wait + 0.5);
    throw ProviderError(ErrorKind::rate_limit, msg, 429, std::max(1.0, wait));
  }
  return k;
}

void Router::record_overhead(double ms) {
  ms = std::max(0.0, ms);
  const auto* end = std::end(kOverheadBoundsMs);
  const size_t bucket = static_cast<size_t>(std::lower_bound(std::begin(kOverheadBoundsMs), end, ms) - std::begin(kOverheadBoundsMs));
  std::lock_guard<std::mutex> lk(mu_);
  ++overhead_.counts[bucket];
  overhead_.sum_ms += ms;
  ++overhead_.total;
}

Router::OverheadHistogram Router::overhead() const {
  std::lock_guard<std::mutex> lk(mu_);
  return overhead_;
}

RouteInfo Router::run(const ChatRequest& req, std::vector<Target> targets, const Call& call) {
  const std::optional<VirtualKey> vkey = admit(req);
  RouteInfo info;
  double t_start = now();
  // What the router adds to a request: its time minus the provider calls and retry waits,
  // recorded however the request ends (returned, refused, failed over, cancelled).
  struct OverheadClock {
    Router& r;
    double t_start, excluded = 0;
    bool recorded = false;
    double record() {
      const double ms = r.now() - t_start - excluded;
      r.record_overhead(ms);
      recorded = true;
      return ms;
    }
    ~OverheadClock() {
      if (!recorded) record();
    }
  } clock{*this, t_start};
  int total = 0;
  std::optional<ProviderError> last;
  bool delivered = false;
  for (const auto& t : targets) {
    const std::string& pname = t.entry.provider;
    // One circuit per model: a provider can fail for one model (overloaded, deprecated) and
    // serve the others.
    const std::string circuit = t.ref();
    if (!breaker_allows(circuit)) {
      info.attempts.push_back({pname, t.entry.model, "circuit_open", "circuit breaker open; skipped", 0, 0});
      if (!last) last = ProviderError(ErrorKind::overloaded, "the circuit for '" + circuit + "' is open");
      continue;
    }
    ChatRequest sent = req;
    sent.model = t.entry.model;
    if (req.for_target) req.for_target(sent, pname, t.remote);
    const int64_t input_estimate = estimate_input_tokens(sent);
    const bool ledgered = t.remote && ledger_;
    bool moved_on = false;
    for (int attempt = 0; attempt <= cfg_.retry.retries_per_model && !moved_on; ++attempt) {
      if (total >= cfg_.retry.max_attempts) break;
      if (attempt > 0 && !breaker_allows(circuit)) break;
      uint64_t hold = 0;
      try {
        if (budget_->limited(req.api_key_id)) {
          const double worst = worst_case_cost(t, sent, input_estimate);
          if (worst > 0)
            hold = budget_->reserve(req.api_key_id, worst,
                                    t.ref() + ", ~" + std::to_string(input_estimate) + " input tokens" +
                                        (sent.max_tokens ? ", max_tokens " + std::to_string(*sent.max_tokens) : ""));
        }
      } catch (const ProviderError& e) {
        info.attempts.push_back({pname, t.entry.model, error_kind_name(e.kind()), e.what(), 0, 0});
        throw RouteError(e, info);
      }
      SentLine sent_line;
      if (ledgered) {
        try {
          sent_line = record_sent(sent, t, input_estimate);
        } catch (const ProviderError& e) {
          budget_->settle(hold, req.api_key_id, 0);
          info.attempts.push_back({pname, t.entry.model, error_kind_name(e.kind()), e.what(), 0, 0});
          throw RouteError(e, info);
        }
      }
      ++total;
      {
        std::lock_guard<std::mutex> lk(mu_);
        ++stats_[t.ref()].in_flight;
      }
      double t0 = now();
      Attempt a{pname, t.entry.model, "ok", "", 0, 0};
      Outcome one;
      // Tokens and cost of the attempt: the provider's usage, else hearth's estimate (never $0
      // for tokens that were sent or received).
      auto settle = [&](const std::string& status, bool charge_input) {
        Usage u = one.usage;
        bool estimated = false;
        if (!one.usage_reported) {
          u.input_tokens = charge_input ? input_estimate : 0;
          u.output_tokens = static_cast<int64_t>((one.output_bytes + 3) / 4);
          estimated = true;
        }
        const double cost = cost_of(t.entry, u);
        budget_->settle(hold, req.api_key_id, cost);
        if (vkey && vkey->tpm > 0) limiter_.add_tokens(vkey->name, u.input_tokens + u.output_tokens, now() / 1000.0);
        if (ledgered) record_outcome(sent_line, status, u, estimated, cost);
        return cost;
      };
      try {
        call(t, *provider(pname), one, &delivered, sent);
        a.latency_ms = now() - t0;
        clock.excluded += a.latency_ms;
        info.attempts.push_back(a);
        {
          std::lock_guard<std::mutex> lk(mu_);
          --stats_[t.ref()].in_flight;
          ++stats_[t.ref()].succeeded;
        }
        breaker_result(circuit, true);
        info.provider = pname;
        info.model = t.entry.model;
        info.latency_ms = now() - t_start;
        info.ttft_ms = one.ttft_ms > 0 ? one.ttft_ms - t_start : info.latency_ms;
        info.cost_usd = settle("ok", true);
        log::info("router: " + t.ref() + " ok in " + std::to_string(a.latency_ms) + " ms");
        info.overhead_ms = clock.record();
        return info;
      } catch (const ProviderError& e) {
        a.latency_ms = now() - t0;
        clock.excluded += a.latency_ms;
        a.status = error_kind_name(e.kind());
        a.error = e.what();
        a.http_status = e.http_status();
        info.attempts.push_back(a);
        {
          std::lock_guard<std::mutex> lk(mu_);
          --stats_[t.ref()].in_flight;
          ++stats_[t.ref()].failed;
        }
        log::info("router: " + t.ref() + " failed (" + a.status + "): " + a.error);
        // A cancelled call was being processed upstream, and so was one that had produced
        // tokens: both are charged. A provider's error answer is not billed.
        settle(a.status, e.kind() == ErrorKind::cancelled || one.output_bytes > 0 || one.usage_reported);
        if (e.kind() == ErrorKind::cancelled) {
          breaker_result(circuit, true);  // the client left; not the provider's fault
          throw RouteError(e, info);
        }
        // An in-process engine that is full is this server's own queue speaking: answer the
        // client at once (503 + Retry-After) rather than holding it here, and do not count it
        // against the provider's health.
        const bool own_queue_full = !t.remote && e.kind() == ErrorKind::overloaded;
        bool provider_fault = e.retryable() && !own_queue_full;
        breaker_result(circuit, !provider_fault);
        last = e;
        // Once the client holds streamed tokens a different answer cannot be spliced in.
        if (delivered) throw RouteError(e, info);
        if (e.kind() == ErrorKind::bad_request || e.kind() == ErrorKind::budget) throw RouteError(e, info);
        if (!e.retryable() || own_queue_full || attempt == cfg_.retry.retries_per_model) { moved_on = true; break; }
        double wait;
        if (e.retry_after() > 0) {
          if (e.retry_after() > cfg_.retry.max_retry_after_s) { moved_on = true; break; }
          wait = e.retry_after() * 1000.0;
        } else {
          double base = std::min(cfg_.retry.backoff_max_ms, cfg_.retry.backoff_ms * double(1 << std::min(attempt, 20)));
          double jitter;
          {
            std::lock_guard<std::mutex> lk(mu_);
            jitter = std::uniform_real_distribution<double>(0.5, 1.0)(rng_);
          }
          wait = base * jitter;
        }
        if (total < cfg_.retry.max_attempts) {
          const double w0 = now();
          opts_.sleep_ms(wait);
          clock.excluded += now() - w0;
        }
      } catch (...) {  // not a provider's error (a bug, out of memory): still settled and recorded
        {
          std::lock_guard<std::mutex> lk(mu_);
          --stats_[t.ref()].in_flight;
        }
        settle("error", true);
        throw;
      }
    }
    if (total >= cfg_.retry.max_attempts) break;
  }
  info.latency_ms = now() - t_start;
  if (!last) last = ProviderError(ErrorKind::overloaded, "no attempt was possible");
  std::string msg = std::string(last->what()) + " (after " + std::to_string(info.attempts.size()) + " attempt(s))";
  throw RouteError(ProviderError(last->kind(), msg, last->http_status(), last->retry_after()), info);
}

ChatResponse Router::chat(const ChatRequest& req) {
  ChatResponse out;
  auto targets = plan(req);
  auto info = run(req, targets, [&](const Target& t, Provider& p, Outcome& one, bool*, const ChatRequest& sent) {
    double t0 = now();
    out = p.chat(sent);
    double total = now() - t0;
    record_latency(t.ref(), total, total, out.usage.output_tokens);
    one.usage = out.usage;
    one.usage_reported = out.usage.input_tokens > 0 || out.usage.output_tokens > 0;
    one.output_bytes = output_bytes(out);
  });
  out.route = std::move(info);
  return out;
}

void Router::relay(const Target& t, Provider& p, Outcome& one, bool* delivered, bool* started, const StreamSink& sink,
                   const StreamStart& start) {
  double t0 = now(), first = 0;
  start(p, t.entry.model, [&](const StreamEvent& e) {
    if (e.kind == StreamEvent::Kind::start) {
      if (*started) return true;  // a fallback's start is not repeated to the client
      *started = true;
    } else if (e.kind == StreamEvent::Kind::usage) {
      one.usage = e.usage;
      one.usage_reported = e.usage.input_tokens > 0 || e.usage.output_tokens > 0;
    } else if (e.kind != StreamEvent::Kind::finish) {
      if (first == 0) {
        first = now();
        one.ttft_ms = first;
      }
      // Echoed prompt text is input, not output.
      if (!e.echo) one.output_bytes += e.text.size() + e.name.size() + e.arguments.size();
      *delivered = true;
    }
    return sink(e);
  });
  double end = now();
  if (first == 0) first = end;
  one.ttft_ms = first;
  record_latency(t.ref(), first - t0, end - t0, one.usage.output_tokens);
}

RouteInfo Router::stream(const ChatRequest& req, const StreamSink& sink) {
  auto targets = plan(req);
  bool started = false;
  return run(req, targets, [&](const Target& t, Provider& p, Outcome& one, bool* delivered, const ChatRequest& sent) {
    relay(t, p, one, delivered, &started, sink,
          [&](Provider& prov, const std::string&, const StreamSink& s) { prov.chat_stream(sent, s); });
  });
}

// Routing, budgets and the ledger work on a ChatRequest; a completion is presented as one user
// message so context estimates and policy filters apply unchanged.
static ChatRequest routing_view(const CompletionRequest& req) {
  ChatRequest c;
  c.model = req.model;
  c.messages.push_back({Role::user, req.prompt});
  c.max_tokens = req.max_tokens;
  c.request_id = req.request_id;
  c.api_key_id = req.api_key_id;
  return c;
}

RouteInfo Router::stream_completion(const CompletionRequest& req, const StreamSink& sink) {
  ChatRequest view = routing_view(req);
  auto targets = plan(view);
  bool started = false;
  return run(view, targets, [&](const Target& t, Provider& p, Outcome& one, bool* delivered, const ChatRequest&) {
    relay(t, p, one, delivered, &started, sink, [&](Provider& prov, const std::string& model, const StreamSink& s) {
      CompletionRequest up = req;
      up.model = model;
      prov.completion_stream(up, s);
    });
  });
}

void Router::completion_stream(const CompletionRequest& req, const StreamSink& sink) { stream_completion(req, sink); }

ChatResponse Router::completion(const CompletionRequest& req) {
  ChatRequest view = routing_view(req);
  ChatResponse out;
  auto targets = plan(view);
  auto info = run(view, targets, [&](const Target& t, Provider& p, Outcome& one, bool*, const ChatRequest&) {
    CompletionRequest up = req;
    up.model = t.entry.model;
    double t0 = now();
    out = p.completion(up);
    double total = now() - t0;
    record_latency(t.ref(), total, total, out.usage.output_tokens);
    one.usage = out.usage;
    one.usage_reported = out.usage.input_tokens > 0 || out.usage.output_tokens > 0;
    one.output_bytes = output_bytes(out);
  });
  out.route = std::move(info);
  return out;
}

int64_t Router::count_input_tokens(const ChatRequest& req, bool* exact) {
  const Target t = first_target(req.model);
  auto pit = cfg_.providers.find(t.entry.provider);
  if (pit != cfg_.providers.end() && pit->second.type == "local")
    if (auto b = opts_.local->get()) {
      ChatRequest up = req;
      up.model = t.entry.model;
      const int64_t n = b->count_tokens(up);
      if (n >= 0) {
        if (exact) *exact = true;
        return n;
      }
    }
  if (exact) *exact = false;
  return estimate_input_tokens(req);
}

Target Router::first_target(const std::string& model) {
  Strategy s;
  auto targets = resolve(model, &s);
  if (targets.empty()) throw ProviderError(ErrorKind::not_found, "'" + model + "' names no model");
  return targets.front();
}

void Router::chat_stream(const ChatRequest& req, const StreamSink& sink) { stream(req, sink); }

EmbeddingResponse Router::embed(const EmbeddingRequest& req) {
  ChatRequest probe;
  probe.model = req.model;
  probe.api_key_id = req.api_key_id;
  for (const auto& text : req.input) probe.messages.push_back({Role::user, text});  // for the input estimate
  Strategy s;
  auto targets = resolve(req.model, &s);
  if (opts_.local_only) {
    std::erase_if(targets, [](const Target& t) { return t.remote; });
    if (targets.empty()) throw ProviderError(ErrorKind::refused, "--local-only: refusing remote embeddings for '" + req.model + "'");
  }
  // A provider whose API has no embeddings (Anthropic) is dropped before anything is sent, so
  // it neither costs an attempt nor reaches the ledger; if nothing is left, say which and why.
  std::string lacking;
  std::erase_if(targets, [&](const Target& t) {
    if (provider(t.entry.provider)->offers_embeddings()) return false;
    lacking += (lacking.empty() ? "" : ", ") + t.ref() + " (type " + cfg_.providers.at(t.entry.provider).type + ")";
    return true;
  });
  if (targets.empty())
    throw ProviderError(ErrorKind::unsupported, "'" + req.model + "' cannot embed: " + lacking +
                                                    " has no embeddings API; route embeddings to an openai, gemini, ollama or local model")
        .with_param("model");
  EmbeddingResponse out;
  probe.max_tokens = 0;  // embeddings produce no output tokens
  auto info = run(probe, targets, [&](const Target& t, Provider& p, Outcome& one, bool*, const ChatRequest&) {
    EmbeddingRequest up = req;
    up.model = t.entry.model;
    out = p.embed(up);
    one.usage = out.usage;
    one.usage_reported = out.usage.input_tokens > 0;
  });
  out.route = std::move(info);
  return out;
}

// Each model once: a configured model by its alias when it has one (else provider:model), then
// the local engine's models that no configured entry names already.
std::vector<ModelInfo> Router::list_models() {
  std::vector<ModelInfo> out;
  std::set<std::string> refs;
  for (const auto& [name, _] : cfg_.policies) out.push_back({name, "policy"});
  for (const auto& m : cfg_.models) {
    if (opts_.local_only && cfg_.providers.at(m.provider).remote) continue;
    if (!refs.insert(m.ref()).second && m.name.empty()) continue;
    out.push_back({m.name.empty() ? m.ref() : m.name, m.provider});
  }
  try {
    for (auto& m : provider("local")->list_models())
      if (refs.insert("local:" + m.id).second) out.push_back({"local:" + m.id, "local"});
  } catch (const ProviderError&) {
  }
  // Whether each in-process model is loaded now.
  if (auto b = opts_.local->get()) {
    std::map<std::string, bool> loaded;
    for (const auto& s : b->status()) loaded[s.name] = s.loaded;
    for (auto& m : out) {
      auto pit = cfg_.providers.find(m.provider);
      if (pit == cfg_.providers.end() || pit->second.type != "local") continue;
      const std::string bare = m.id.rfind(m.provider + ":", 0) == 0 ? m.id.substr(m.provider.size() + 1) : m.id;
      std::string model = bare;
      for (const auto& e : cfg_.models)
        if (e.name == m.id) model = e.model;
      if (auto it = loaded.find(model); it != loaded.end()) m.state = it->second ? "loaded" : "available";
    }
  }
  return out;
}

Capabilities Router::capabilities(const std::string& model) const {
  for (const auto& m : cfg_.models)
    if (m.name == model || m.ref() == model) return m.caps;
  return {};
}

}  // namespace hearth::router
