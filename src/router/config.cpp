#include "router/config.h"

#include <algorithm>

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/paths.h"

namespace hearth::router {
namespace {

struct Ctx {
  std::string source;
  [[noreturn]] void bad(const std::string& where, const std::string& what) const {
    fail(Errc::format, source + ": " + where + ": " + what);
  }
};

template <typename T>
T get(const Ctx& c, const YAML::Node& n, const std::string& where, T def) {
  if (!n || n.IsNull()) return def;
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    c.bad(where, "has the wrong type");
  }
}

std::string read_secret_file(const Ctx& c, const std::string& where, std::string path) {
  if (path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    path = std::string(home ? home : "") + path.substr(1);
  }
  std::ifstream f(path);
  if (!f) c.bad(where, "cannot read key file '" + path + "'");
  std::string key;
  std::getline(f, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
  return key;
}

// A key comes from `<prefix>_env` (variable name) or `<prefix>_file`; literal keys are refused so
// that configs can be shared without leaking secrets.
std::string resolve_key(const Ctx& c, const YAML::Node& n, const std::string& where) {
  if (n["api_key"]) c.bad(where + ".api_key", "literal keys are not accepted; use api_key_env or api_key_file");
  if (auto env = n["api_key_env"]) {
    std::string var = get<std::string>(c, env, where + ".api_key_env", "");
    const char* v = std::getenv(var.c_str());
    return v ? v : "";  // a missing variable surfaces as an auth error from the provider
  }
  if (auto file = n["api_key_file"]) return read_secret_file(c, where + ".api_key_file", get<std::string>(c, file, where, ""));
  return "";
}

Capabilities parse_caps(const Ctx& c, const YAML::Node& n, const std::string& where) {
  Capabilities caps;
  if (!n) return caps;  // unknown: assume a general chat model
  if (!n.IsSequence()) c.bad(where, "must be a list such as [tools, json, streaming]");
  caps.tools = caps.json_mode = caps.grammar = caps.streaming = caps.embeddings = caps.vision = false;
  for (const auto& v : n) {
    std::string s = get<std::string>(c, v, where, "");
    if (s == "tools") caps.tools = true;
    else if (s == "json") caps.json_mode = true;
    else if (s == "grammar") caps.grammar = true;
    else if (s == "streaming") caps.streaming = true;
    else if (s == "embeddings") caps.embeddings = true;
    else if (s == "vision") caps.vision = true;
    else c.bad(where, "unknown capability '" + s + "' (tools, json, grammar, streaming, embeddings, vision)");
  }
  return caps;
}

}  // namespace

Strategy parse_strategy(const std::string& s) {
  if (s == "fixed") return Strategy::fixed;
  if (s == "fallback") return Strategy::fallback;
  if (s == "cheapest") return Strategy::cheapest;
  if (s == "fastest") return Strategy::fastest;
  if (s == "weighted") return Strategy::weighted;
  if (s == "least_busy" || s == "least-busy") return Strategy::least_busy;
  fail(Errc::invalid_argument, "unknown strategy '" + s + "' (fixed, fallback, cheapest, fastest, weighted, least_busy)");
}

const char* strategy_name(Strategy s) {
  switch (s) {
    case Strategy::fixed: return "fixed";
    case Strategy::fallback: return "fallback";
    case Strategy::cheapest: return "cheapest";
    case Strategy::fastest: return "fastest";
    case Strategy::weighted: return "weighted";
    case Strategy::least_busy: return "least_busy";
  }
  return "fallback";
}

namespace {

// providers: name -> {type, base_url, keys, timeouts, headers}; `local` always exists.
void parse_providers(const Ctx& c, const YAML::Node& root, RouterConfig& cfg) {
  if (auto ps = root["providers"]) {
    if (!ps.IsMap()) c.bad("providers", "must be a mapping of name -> settings");
    for (const auto& kv : ps) {
      std::string name = kv.first.as<std::string>();
      std::string where = "providers." + name;
      if (name.empty() || name.find(':') != std::string::npos) c.bad(where, "provider names may not be empty or contain ':'");
      const auto& n = kv.second;
      if (!n.IsMap()) c.bad(where, "must be a mapping");
      ProviderConfig p;
      p.name = name;
      p.type = get<std::string>(c, n["type"], where + ".type", name == "local" ? "local" : "openai");
      p.base_url = get<std::string>(c, n["base_url"], where + ".base_url", "");
      if (p.type != "local" && p.base_url.empty()) c.bad(where + ".base_url", "is required");
      p.api_key = resolve_key(c, n, where);
      p.http.connect_timeout_ms = get<int>(c, n["connect_timeout_ms"], where + ".connect_timeout_ms", 5000);
      p.http.read_timeout_ms = get<int>(c, n["timeout_ms"], where + ".timeout_ms", 120000);
      if (p.http.read_timeout_ms <= 0 || p.http.connect_timeout_ms <= 0) c.bad(where, "timeouts must be positive");
      p.http.max_idle_connections = get<int>(c, n["max_idle_connections"], where + ".max_idle_connections", 256);
      if (p.http.max_idle_connections < 0) c.bad(where + ".max_idle_connections", "must be 0 or more");
      p.remote = get<bool>(c, n["remote"], where + ".remote", p.type != "local");
      if (auto h = n["headers"]) {
        if (!h.IsMap()) c.bad(where + ".headers", "must be a mapping");
        for (const auto& hv : h) p.extra_headers.emplace_back(hv.first.as<std::string>(), hv.second.as<std::string>());
      }
      cfg.providers[name] = std::move(p);
    }
  }
  if (!cfg.providers.count("local")) cfg.providers["local"] = ProviderConfig{"local", "local", "", "", {}, {}, false};
}

// models: aliases of provider:model with prices, weights and capabilities.
void parse_models(const Ctx& c, const YAML::Node& root, RouterConfig& cfg) {
  if (auto ms = root["models"]) {
    if (!ms.IsSequence()) c.bad("models", "must be a list");
    size_t i = 0;
    for (const auto& n : ms) {
      std::string where = "models[" + std::to_string(i++) + "]";
      ModelEntry m;
      m.name = get<std::string>(c, n["name"], where + ".name", "");
      m.provider = get<std::string>(c, n["provider"], where + ".provider", "");
      m.model = get<std::string>(c, n["model"], where + ".model", "");
      if (m.provider.empty() || m.model.empty()) c.bad(where, "provider and model are required");
      if (!cfg.providers.count(m.provider)) c.bad(where + ".provider", "unknown provider '" + m.provider + "'");
      m.input_price = get<double>(c, n["input_price"], where + ".input_price", 0);
      m.output_price = get<double>(c, n["output_price"], where + ".output_price", 0);
      if (m.input_price < 0 || m.output_price < 0) c.bad(where, "prices must not be negative");
      m.weight = get<double>(c, n["weight"], where + ".weight", 1);
      if (m.weight < 0) c.bad(where + ".weight", "must not be negative");
      m.caps = parse_caps(c, n["capabilities"], where + ".capabilities");
      // hearth's own engine takes GBNF grammars; other providers only when the config says so.
      if (!n["capabilities"] && cfg.providers.at(m.provider).type == "local") m.caps.grammar = true;
      m.caps.context_length = get<int64_t>(c, n["context_length"], where + ".context_length", 0);
      cfg.models.push_back(std::move(m));
    }
  }
}

// policies: name -> {strategy, models}.
void parse_policies(const Ctx& c, const YAML::Node& root, RouterConfig& cfg) {
  if (auto ps = root["policies"]) {
    if (!ps.IsMap()) c.bad("policies", "must be a mapping of name -> policy");
    for (const auto& kv : ps) {
      Policy p;
      p.name = kv.first.as<std::string>();
      std::string where = "policies." + p.name;
      try {
        p.strategy = parse_strategy(get<std::string>(c, kv.second["strategy"], where + ".strategy", "fallback"));
      } catch (const Error& e) {
        c.bad(where + ".strategy", e.what());
      }
      auto list = kv.second["models"];
      if (!list || !list.IsSequence() || list.size() == 0) c.bad(where + ".models", "must be a non-empty list");
      for (const auto& m : list) p.models.push_back(get<std::string>(c, m, where + ".models", ""));
      cfg.policies[p.name] = std::move(p);
    }
  }
}

// pools: name -> {endpoints: [provider:model | {model, concurrency}]} for sharded evaluation.
void parse_pools(const Ctx& c, const YAML::Node& root, RouterConfig& cfg) {
  if (auto ps = root["pools"]) {
    if (!ps.IsMap()) c.bad("pools", "must be a mapping of name -> {endpoints: [...]}");
    for (const auto& kv : ps) {
      Pool p;
      p.name = kv.first.as<std::string>();
      std::string where = "pools." + p.name;
      auto list = kv.second.IsMap() ? kv.second["endpoints"] : YAML::Node();
      if (!list || !list.IsSequence() || list.size() == 0) c.bad(where + ".endpoints", "must be a non-empty list");
      size_t i = 0;
      for (const auto& e : list) {
        std::string ew = where + ".endpoints[" + std::to_string(i++) + "]";
        PoolEndpoint pe;
        if (e.IsScalar()) {
          pe.model = get<std::string>(c, e, ew, "");
        } else if (e.IsMap()) {
          pe.model = get<std::string>(c, e["model"], ew + ".model", "");
          pe.concurrency = get<int>(c, e["concurrency"], ew + ".concurrency", 1);
        } else {
          c.bad(ew, "must be provider:model or {model, concurrency}");
        }
        if (pe.concurrency < 1 || pe.concurrency > 1024) c.bad(ew + ".concurrency", "must be 1..1024");
        auto colon = pe.model.find(':');
        bool alias = std::any_of(cfg.models.begin(), cfg.models.end(), [&](const ModelEntry& m) { return m.name == pe.model; });
        if (!alias && (colon == std::string::npos || !cfg.providers.count(pe.model.substr(0, colon))))
          c.bad(ew + ".model", "'" + pe.model + "' is neither a model alias nor provider:model with a configured provider");
        p.endpoints.push_back(std::move(pe));
      }
      cfg.pools[p.name] = std::move(p);
    }
  }
}

// retry and circuit_breaker settings.
void parse_retry_and_breaker(const Ctx& c, const YAML::Node& root, RouterConfig& cfg) {
  if (auto r = root["retry"]) {
    cfg.retry.max_attempts = get<int>(c, r["max_attempts"], "retry.max_attempts", cfg.retry.max_attempts);
    cfg.retry.retries_per_model = get<int>(c, r["retries_per_model"], "retry.retries_per_model", cfg.retry.retries_per_model);
    cfg.retry.backoff_ms = get<double>(c, r["backoff_ms"], "retry.backoff_ms", cfg.retry.backoff_ms);
    cfg.retry.backoff_max_ms = get<double>(c, r["backoff_max_ms"], "retry.backoff_max_ms", cfg.retry.backoff_max_ms);
    cfg.retry.max_retry_after_s = get<double>(c, r["max_retry_after_s"], "retry.max_retry_after_s", cfg.retry.max_retry_after_s);
    if (cfg.retry.max_attempts < 1 || cfg.retry.max_attempts > 100) c.bad("retry.max_attempts", "must be 1..100");
    if (cfg.retry.retries_per_model < 0 || cfg.retry.retries_per_model > 20) c.bad("retry.retries_per_model", "must be 0..20");
  }
  if (auto b = root["circuit_breaker"]) {
    cfg.breaker.failures = get<int>(c, b["failures"], "circuit_breaker.failures", cfg.breaker.failures);
    cfg.breaker.cooldown_ms = get<double>(c, b["cooldown_ms"], "circuit_breaker.cooldown_ms", cfg.breaker.cooldown_ms);
    if (cfg.breaker.failures < 1) c.bad("circuit_breaker.failures", "must be at least 1");
  }
}

// budgets: a period and global and per-key limits in USD.
void parse_budgets(const Ctx& c, const YAML::Node& root, RouterConfig& cfg) {
  if (auto b = root["budgets"]) {
    std::string period = get<std::string>(c, b["period"], "budgets.period", "month");
    if (period == "day") cfg.budgets.period = Period::day;
    else if (period == "month") cfg.budgets.period = Period::month;
    else if (period == "all") cfg.budgets.period = Period::all;
    else c.bad("budgets.period", "must be day, month or all");
    cfg.budgets.global_usd = get<double>(c, b["global_usd"], "budgets.global_usd", 0);
    if (auto k = b["keys"]) {
      if (!k.IsMap()) c.bad("budgets.keys", "must be a mapping of key name -> USD");
      for (const auto& kv : k) cfg.budgets.keys[kv.first.as<std::string>()] = get<double>(c, kv.second, "budgets.keys", 0);
    }
  }
}

// api_keys: gateway client keys, name -> {env: VAR} or {file: PATH}; the name is what budgets
// and the ledger record.
void parse_api_keys(const Ctx& c, const YAML::Node& root, RouterConfig& cfg) {
  if (auto k = root["api_keys"]) {
    // Gateway client keys: name -> {env: VAR} or {file: PATH}; the name is what budgets and the
    // ledger record.
    if (!k.IsMap()) c.bad("api_keys", "must be a mapping of name -> {env|file}");
    for (const auto& kv : k) {
      std::string name = kv.first.as<std::string>(), where = "api_keys." + name, secret;
      if (kv.second["env"]) {
        const char* v = std::getenv(get<std::string>(c, kv.second["env"], where, "").c_str());
        secret = v ? v : "";
      } else if (kv.second["file"]) {
        secret = read_secret_file(c, where + ".file", get<std::string>(c, kv.second["file"], where, ""));
      } else {
        c.bad(where, "needs env or file");
      }
      if (!secret.empty()) cfg.api_keys[name] = secret;
    }
  }
}

}  // namespace

RouterConfig parse_config(const std::string& text, const std::string& source) {
  Ctx c{source};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(Errc::format, source + ": invalid YAML: " + e.what());
  }
  if (!root.IsMap()) c.bad("top level", "must be a mapping");
  RouterConfig cfg;
  parse_providers(c, root, cfg);
  parse_models(c, root, cfg);
  parse_policies(c, root, cfg);
  parse_pools(c, root, cfg);
  parse_retry_and_breaker(c, root, cfg);
  parse_budgets(c, root, cfg);
  parse_api_keys(c, root, cfg);
  cfg.ledger_dir = get<std::string>(c, root["ledger_dir"], "ledger_dir", "");
  cfg.default_model = get<std::string>(c, root["default_model"], "default_model", "");
  return cfg;
}

std::filesystem::path default_config_path() { return hearth_home() / "router.yaml"; }

RouterConfig load_config(const std::filesystem::path& file) {
  std::ifstream f(file);
  if (!f) fail(Errc::not_found, "cannot read router config '" + file.string() + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_config(ss.str(), file.string());
}

}  // namespace hearth::router
