// Router configuration, loaded from YAML: providers, priced models, policies, retry, circuit
// breaker and budgets. API keys come from an environment variable or a file, never the YAML
// itself, and are never logged.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "router/provider.h"

namespace hearth::router {

struct ModelEntry {
  std::string name;      // alias ("" = addressed only as provider:model)
  std::string provider;
  std::string model;     // upstream id
  double input_price = 0;   // USD per million input tokens
  double output_price = 0;  // USD per million output tokens
  double weight = 1;        // weighted policy
  int64_t max_output_tokens = 0;  // the provider's cap on one reply (0 = unknown); bounds budget reservations
  Capabilities caps;
  std::string ref() const { return provider + ":" + model; }
};

enum class Strategy { fixed, fallback, cheapest, fastest, weighted, least_busy };
Strategy parse_strategy(const std::string& s);
const char* strategy_name(Strategy s);

struct Policy {
  std::string name;
  Strategy strategy = Strategy::fallback;
  std::vector<std::string> models;  // aliases or provider:model
};

// A pool of interchangeable endpoints serving the same model (several hearth servers, vLLM,
// llama.cpp), over which one evaluation run is sharded; each takes up to `concurrency` requests
// at once.
struct PoolEndpoint {
  std::string model;  // provider:model or an alias
  int concurrency = 1;
};
struct Pool {
  std::string name;
  std::vector<PoolEndpoint> endpoints;
};

struct RetryConfig {
  int max_attempts = 4;        // across all models of one request
  int retries_per_model = 2;   // extra tries of the same model on retryable errors
  double backoff_ms = 200;     // first backoff; doubles each retry, with jitter
  double backoff_max_ms = 5000;
  double max_retry_after_s = 30;  // a longer retry-after moves on to the next model instead
};

struct BreakerConfig {
  int failures = 3;           // consecutive failures that open a provider's circuit
  double cooldown_ms = 30000; // then one trial request is let through (half-open)
};

enum class Period { day, month, all };
const char* period_name(Period p);
Period parse_period(const std::string& s);  // day, month or all; throws Error(invalid_argument)
struct BudgetConfig {
  Period period = Period::month;
  double global_usd = 0;                 // 0 = no limit
  std::map<std::string, double> keys;    // gateway api-key name -> limit
};

// When a ledger line must be on disk (fdatasync) rather than only written to its file.
//  background: written before the request leaves (a kill of hearth cannot lose it) and synced
//              by a flusher meanwhile; the answer waits until the "sent" line is synced.
//  strict:     each line synced before the request leaves and before the answer.
enum class LedgerSync { background, strict };

struct RouterConfig {
  std::map<std::string, ProviderConfig> providers;
  std::vector<ModelEntry> models;
  std::map<std::string, Policy> policies;
  std::map<std::string, Pool> pools;
  RetryConfig retry;
  BreakerConfig breaker;
  BudgetConfig budgets;
  std::filesystem::path ledger_dir;   // empty = $HEARTH_HOME/ledger
  LedgerSync ledger_sync = LedgerSync::background;
  std::string default_model;
  std::map<std::string, std::string> api_keys;  // gateway: key name -> secret (resolved)
};

// Throws hearth::Error(format/invalid_argument) naming the file and the offending field.
RouterConfig load_config(const std::filesystem::path& file);
// Where commands look for the router config when none is given: $HEARTH_HOME/router.yaml.
std::filesystem::path default_config_path();
RouterConfig parse_config(const std::string& yaml_text, const std::string& source = "config");

}  // namespace hearth::router
