// The router: resolves a model name (provider:model, alias or policy) to an ordered list of
// targets, then calls them with retries (exponential backoff + jitter on retryable errors only),
// per-provider circuit breakers, a cap on total attempts, budgets and the privacy ledger. It is
// itself a Provider, so callers cannot tell it from a single backend.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>

#include "router/config.h"
#include "router/key_store.h"
#include "router/ledger.h"
#include "router/rate_limit.h"
#include "router/provider.h"
#include "router/provider_local.h"

namespace hearth::router {

struct Target {
  ModelEntry entry;   // provider, upstream model, prices, capabilities
  bool remote = true;
  std::string ref() const { return entry.ref(); }
};

struct RouterOptions {
  bool local_only = false;
  bool use_ledger = true;                    // false: no ledger file, no budget persistence
  std::function<double()> now_ms;            // monotonic clock; injectable for breaker tests
  std::function<void(double ms)> sleep_ms;   // backoff waits; injectable
  // Weighted choice and retry jitter. 0: a random seed per router, so many processes retrying
  // the same upstream do not back off in step; tests give a fixed one.
  uint64_t seed = 0;
  // Where `local` providers find the in-process engine (none given: an empty slot of its own).
  std::shared_ptr<LocalBackendSlot> local;
};

// An error after routing gave up; carries every attempt for metadata.
class RouteError : public ProviderError {
 public:
  RouteError(const ProviderError& last, RouteInfo info);
  const RouteInfo& info() const { return info_; }

 private:
  RouteInfo info_;
};

struct TargetStats {
  double ttft_ms = 0;       // moving average of time to first token
  double tokens_per_s = 0;  // moving average of output speed
  int samples = 0;
  int in_flight = 0;
  int64_t succeeded = 0, failed = 0;  // attempts, for /metrics
};

enum class BreakerState { closed, open, half_open };

class Router : public Provider {
 public:
  explicit Router(RouterConfig cfg, RouterOptions opts = {});
  ~Router() override;

  std::string name() const override { return "router"; }
  ChatResponse chat(const ChatRequest& req) override;
  void chat_stream(const ChatRequest& req, const StreamSink& sink) override;
  // chat_stream that also returns who answered and every attempt.
  RouteInfo stream(const ChatRequest& req, const StreamSink& sink);
  // Raw text completions, routed exactly like chat (retries, fallback before the first streamed
  // token only, breaker, budgets, ledger).
  void completion_stream(const CompletionRequest& req, const StreamSink& sink) override;
  RouteInfo stream_completion(const CompletionRequest& req, const StreamSink& sink);
  ChatResponse completion(const CompletionRequest& req) override;
  EmbeddingResponse embed(const EmbeddingRequest& req) override;
  std::vector<ModelInfo> list_models() override;
  // Which provider and upstream model a name resolves to first (for /api/show); throws not_found.
  Target first_target(const std::string& model);
  // Input tokens of `req` for the model it resolves to first: exact on the local engine (its chat
  // template and tokenizer), estimated (~4 bytes a token) for remote providers. Sets *exact.
  int64_t count_input_tokens(const ChatRequest& req, bool* exact = nullptr);
  Capabilities capabilities(const std::string& model) const override;

  // Ordered candidates for a request (policy applied, needs and --local-only filtered).
  std::vector<Target> plan(const ChatRequest& req);
  // Replaces a provider instance (tests inject fakes; the server may install its own).
  void set_provider(const std::string& name, std::shared_ptr<Provider> p);

  TargetStats stats(const std::string& ref) const;
  // Every target tried so far ("provider:model") with its stats and circuit state.
  std::vector<std::pair<std::string, TargetStats>> all_stats() const;
  // A target's circuit ("provider:model"), or for a provider name the most open of its models'.
  BreakerState breaker(const std::string& name) const;
  // The router's own time per routed request (RouteInfo::overhead_ms) as a histogram: counts at
  // or below each bound of kOverheadBoundsMs, then the rest; with the sum, for /metrics.
  static constexpr double kOverheadBoundsMs[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000};
  struct OverheadHistogram {
    // One per bound, then one for larger values (not cumulative).
    std::vector<uint64_t> counts = std::vector<uint64_t>(std::size(kOverheadBoundsMs) + 1, 0);
    double sum_ms = 0;
    uint64_t total = 0;
  };
  OverheadHistogram overhead() const;
  const RouterConfig& config() const { return cfg_; }
  // The slot the in-process engine goes into (shared with every `local` provider).
  LocalBackendSlot& local() const { return *opts_.local; }
  Ledger* ledger() { return ledger_.get(); }
  Budget& budget() { return *budget_; }
  // Virtual keys (`hearth keys`): a request whose api_key_id names one gets that key's model
  // list, requests/tokens per minute and budget.
  void set_keys(std::shared_ptr<KeyStore> keys);
  KeyStore* keys() const { return keys_.get(); }

 private:
  // What one attempt produced, filled in as it goes so that a failed or cancelled attempt still
  // reports what it had seen.
  struct Outcome {
    double ttft_ms = 0;        // clock time of the first streamed token (0 = none)
    Usage usage;               // as the provider reported it
    bool usage_reported = false;
    size_t output_bytes = 0;   // text, reasoning and tool-call bytes received
  };
  // `sent` is the request as this target gets it: model set to the target's, for_target applied.
  using Call = std::function<void(const Target&, Provider&, Outcome&, bool* delivered, const ChatRequest& sent)>;
  RouteInfo run(const ChatRequest& req, std::vector<Target> targets, const Call& call);
  // One streamed attempt: relays events (a fallback's start is not repeated), marks delivery,
  // then records latency, cost, budget and ledger. `start` runs the provider's stream.
  using StreamStart = std::function<void(Provider&, const std::string& upstream_model, const StreamSink&)>;
  void relay(const Target& t, Provider& p, Outcome& one, bool* delivered, bool* started, const StreamSink& sink,
             const StreamStart& start);
  // The request's virtual key, after checking its model list and rate limits (throws).
  std::optional<VirtualKey> admit(const ChatRequest& req);
  std::vector<Target> resolve(const std::string& name, Strategy* strategy);
  Target target_for(const std::string& ref);
  std::shared_ptr<Provider> provider(const std::string& name);
  bool breaker_allows(const std::string& provider);
  void breaker_result(const std::string& provider, bool ok);
  void record_latency(const std::string& ref, double ttft_ms, double total_ms, int64_t out_tokens);
  // The line written before an attempt leaves the machine; throws ProviderError(refused) when it
  // cannot be written (nothing is sent that the ledger does not hold).
  struct SentLine {
    LedgerRecord record;
    uint64_t seq = 0;  // the ledger's sequence number of the line
  };
  SentLine record_sent(const ChatRequest& sent, const Target& t, int64_t input_estimate);
  // The outcome line; returns once the "sent" line (and, with ledger_sync strict, this one) is
  // durable, so a client never holds an answer whose request the ledger could still lose.
  void record_outcome(const SentLine& sent, const std::string& status, const Usage& u, bool estimated, double cost);
  double now() const { return opts_.now_ms(); }
  void record_overhead(double ms);

  RouterConfig cfg_;
  RouterOptions opts_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Budget> budget_;
  std::shared_ptr<KeyStore> keys_;
  RateLimiter limiter_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Provider>> providers_;
  std::map<std::string, TargetStats> stats_;
  OverheadHistogram overhead_;
  struct Breaker {
    int failures = 0;
    double open_until = 0;
    bool open = false;
    bool trial = false;  // a half-open trial is in flight
  };
  std::map<std::string, Breaker> breakers_;
  std::mt19937_64 rng_;
};

double cost_of(const ModelEntry& m, const Usage& u);

}  // namespace hearth::router
