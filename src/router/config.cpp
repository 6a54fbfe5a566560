#include "router/config.h"

#include <algorithm>

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/paths.h"
#include "core/spelling.h"

namespace hearth::router {
namespace {

struct Ctx {
  std::string source;
  [[noreturn]] void bad(const std::string& where, const std::string& what) const {
    fail(Errc::format, source + ": " + where + ": " + what);
  }
  // With the node's line and column (1-based), as editors and compilers print them.
  [[noreturn]] void bad(const YAML::Node& at, const std::string& where, const std::string& what) const {
    const YAML::Mark m = at ? at.Mark() : YAML::Mark::null_mark();
    if (m.is_null()) bad(where, what);
    fail(Errc::format, source + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + where + ": " + what);
  }
};

template <typename T>
T get(const Ctx& c, const YAML::Node& n, const std::string& where, T def) {
  if (!n || n.IsNull()) return def;
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    c.bad(n, where, "has the wrong type");
  }
}

// A misspelt setting (`max_attemps`) would otherwise be ignored and its default used in silence.
void check_keys(const Ctx& c, const YAML::Node& n, const std::string& where, const std::vector<std::string>& known) {
  if (!n || !n.IsMap()) return;
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    const std::string near = closest_match(key, known);
    c.bad(kv.first, where, "unknown key '" + key + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?") + " (known: " + list + ")");
  }
}

// A reference to a model from a policy, pool or default_model: an alias from `models:`, or
// provider:model with a configured provider (`local:NAME` for the in-process engine).
bool model_defined(const RouterConfig& cfg, const std::string& ref) {
  for (const auto& m : cfg.models)
    if (!m.name.empty() && m.name == ref) return true;
  const auto colon = ref.find(':');
  return colon != std::string::npos && colon > 0 && colon + 1 < ref.size() && cfg.providers.count(ref.substr(0, colon));
}

std::string undefined_model_message(const RouterConfig& cfg, const std::string& ref) {
  std::string aliases, provs;
  std::vector<std::string> names;
  for (const auto& m : cfg.models)
    if (!m.name.empty()) {
      aliases += (aliases.empty() ? "" : ", ") + m.name;
      names.push_back(m.name);
    }
  for (const auto& [name, _] : cfg.providers) provs += (provs.empty() ? "" : ", ") + name;
  const auto colon = ref.find(':');
  std::string why = colon != std::string::npos && colon > 0
                        ? "names no configured provider '" + ref.substr(0, colon) + "' (providers: " + provs + ")"
                        : "is not defined: no model in `models:` has this name (aliases: " + (aliases.empty() ? "none" : aliases) +
                              "), and it is not provider:model (providers: " + provs + ")";
  const std::string near = closest_match(ref, names);
  return "'" + ref + "' " + why + (near.empty() ? "" : "; did you mean '" + near + "'?");
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
  if (n["api_key"]) c.bad(n["api_key"], where + ".api_key", "literal keys are not accepted; use api_key_env or api_key_file");
  if (auto env = n["api_key_env"]) {
    std::string var = get<std::string>(c, env, where + ".api_key_env", "");
    const char* v = std::getenv(var.c_str());
    // Caught here rather than as a 401 from the provider at the first request.
    if (!v || !*v) c.bad(env, where + ".api_key_env", "the environment variable " + var + " is not set");
    return v;
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

const char* period_name(Period p) {
  switch (p) {
    case Period::day: return "day";
    case Period::month: return "month";
    case Period::all: return "all";
  }
  return "month";
}

Period parse_period(const std::string& s) {
  if (s == "day") return Period::day;
  if (s == "month") return Period::month;
  if (s == "all") return Period::all;
  fail(Errc::invalid_argument, "the period must be day, month or all, not '" + s + "'");
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
      if (!n.IsMap()) c.bad(n, where, "must be a mapping");
      check_keys(c, n, where, {"type", "base_url", "api_key_env", "api_key_file", "api_key", "timeout_ms", "connect_timeout_ms",
                               "max_idle_connections", "remote", "headers"});
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
        for (const auto& hv : h)
          p.extra_headers.emplace_back(hv.first.Scalar(), get<std::string>(c, hv.second, where + ".headers." + hv.first.Scalar(), ""));
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
      check_keys(c, n, where, {"name", "provider", "model", "input_price", "output_price", "weight", "capabilities", "context_length",
                               "max_output_tokens"});
      ModelEntry m;
      m.name = get<std::string>(c, n["name"], where + ".name", "");
      m.provider = get<std::string>(c, n["provider"], where + ".provider", "");
      m.model = get<std::string>(c, n["model"], where + ".model", "");
      if (m.provider.empty() || m.model.empty()) c.bad(where, "provider and model are required");
      if (!cfg.providers.count(m.provider)) c.bad(n["provider"], where + ".provider", "unknown provider '" + m.provider + "'");
      m.input_price = get<double>(c, n["input_price"], where + ".input_price", 0);
      m.output_price = get<double>(c, n["output_price"], where + ".output_price", 0);
      if (m.input_price < 0 || m.output_price < 0) c.bad(where, "prices must not be negative");
      m.weight = get<double>(c, n["weight"], where + ".weight", 1);
      if (m.weight < 0) c.bad(where + ".weight", "must not be negative");
      m.caps = parse_caps(c, n["capabilities"], where + ".capabilities");
      // hearth's own engine takes GBNF grammars; other providers only when the config says so.
      if (!n["capabilities"] && cfg.providers.at(m.provider).type == "local") m.caps.grammar = true;
      m.caps.context_length = get<int64_t>(c, n["context_length"], where + ".context_length", 0);
      m.max_output_tokens = get<int64_t>(c, n["max_output_tokens"], where + ".max_output_tokens", 0);
      if (m.max_output_tokens < 0) c.bad(n["max_output_tokens"], where + ".max_output_tokens", "must not be negative");
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
      if (!kv.second.IsMap()) c.bad(kv.second, where, "must be a mapping {strategy, models}");
      check_keys(c, kv.second, where, {"strategy", "models"});
      try {
        p.strategy = parse_strategy(get<std::string>(c, kv.second["strategy"], where + ".strategy", "fallback"));
      } catch (const Error& e) {
        c.bad(kv.second["strategy"], where + ".strategy", e.what());
      }
      auto list = kv.second["models"];
      if (!list || !list.IsSequence() || list.size() == 0) c.bad(list ? list : kv.second, where + ".models", "must be a non-empty list");
      size_t i = 0;
      for (const auto& m : list) {
        const std::string mw = where + ".models[" + std::to_string(i++) + "]";
        p.models.push_back(get<std::string>(c, m, mw, ""));
        if (!model_defined(cfg, p.models.back())) c.bad(m, mw, undefined_model_message(cfg, p.models.back()));
      }
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
      check_keys(c, kv.second, where, {"endpoints"});
      auto list = kv.second.IsMap() ? kv.second["endpoints"] : YAML::Node();
      if (!list || !list.IsSequence() || list.size() == 0) c.bad(where + ".endpoints", "must be a non-empty list");
      size_t i = 0;
      for (const auto& e : list) {
        std::string ew = where + ".endpoints[" + std::to_string(i++) + "]";
        PoolEndpoint pe;
        if (e.IsScalar()) {
          pe.model = get<std::string>(c, e, ew, "");
        } else if (e.IsMap()) {
          check_keys(c, e, ew, {"model", "concurrency"});
          pe.model = get<std::string>(c, e["model"], ew + ".model", "");
          pe.concurrency = get<int>(c, e["concurrency"], ew + ".concurrency", 1);
        } else {
          c.bad(ew, "must be provider:model or {model, concurrency}");
        }
        if (pe.concurrency < 1 || pe.concurrency > 1024) c.bad(ew + ".concurrency", "must be 1..1024");
        if (!model_defined(cfg, pe.model)) c.bad(e, ew + ".model", undefined_model_message(cfg, pe.model));
        p.endpoints.push_back(std::move(pe));
      }
      cfg.pools[p.name] = std::move(p);
    }
  }
}

// retry and circuit_breaker settings.
void parse_retry_and_breaker(const Ctx& c, const YAML::Node& root, RouterConfig& cfg) {
  if (auto r = root["retry"]) {
    check_keys(c, r, "retry", {"max_attempts", "retries_per_model", "backoff_ms", "backoff_max_ms", "max_retry_after_s"});
    cfg.retry.max_attempts = get<int>(c, r["max_attempts"], "retry.max_attempts", cfg.retry.max_attempts);
    cfg.retry.retries_per_model = get<int>(c, r["retries_per_model"], "retry.retries_per_model", cfg.retry.retries_per_model);
    cfg.retry.backoff_ms = get<double>(c, r["backoff_ms"], "retry.backoff_ms", cfg.retry.backoff_ms);
    cfg.retry.backoff_max_ms = get<double>(c, r["backoff_max_ms"], "retry.backoff_max_ms", cfg.retry.backoff_max_ms);
    cfg.retry.max_retry_after_s = get<double>(c, r["max_retry_after_s"], "retry.max_retry_after_s", cfg.retry.max_retry_after_s);
    if (cfg.retry.max_attempts < 1 || cfg.retry.max_attempts > 100) c.bad("retry.max_attempts", "must be 1..100");
    if (cfg.retry.retries_per_model < 0 || cfg.retry.retries_per_model > 20) c.bad("retry.retries_per_model", "must be 0..20");
  }
  if (auto b = root["circuit_breaker"]) {
    check_keys(c, b, "circuit_breaker", {"failures", "cooldown_ms"});
    cfg.breaker.failures = get<int>(c, b["failures"], "circuit_breaker.failures", cfg.breaker.failures);
    cfg.breaker.cooldown_ms = get<double>(c, b["cooldown_ms"], "circuit_breaker.cooldown_ms", cfg.breaker.cooldown_ms);
    if (cfg.breaker.failures < 1) c.bad("circuit_breaker.failures", "must be at least 1");
  }
}

// budgets: a period and global and per-key limits in USD.
void parse_budgets(const Ctx& c, const YAML::Node& root, RouterConfig& cfg) {
  if (auto b = root["budgets"]) {
    check_keys(c, b, "budgets", {"period", "global_usd", "keys"});
    std::string period = get<std::string>(c, b["period"], "budgets.period", "month");
    try {
      cfg.budgets.period = parse_period(period);
    } catch (const Error& e) {
      c.bad(b["period"], "budgets.period", e.what());
    }
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
      check_keys(c, kv.second, where, {"env", "file"});
      if (kv.second["env"]) {
        const std::string var = get<std::string>(c, kv.second["env"], where + ".env", "");
        const char* v = std::getenv(var.c_str());
        // Skipping it would lock this client out, or leave a gateway with no keys open to all.
        if (!v || !*v) c.bad(kv.second["env"], where + ".env", "the environment variable " + var + " is not set");
        secret = v;
      } else if (kv.second["file"]) {
        secret = read_secret_file(c, where + ".file", get<std::string>(c, kv.second["file"], where, ""));
      } else {
        c.bad(where, "needs env or file");
      }
      if (secret.empty()) c.bad(kv.second["file"], where + ".file", "the key file is empty");
      cfg.api_keys[name] = secret;
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
  check_keys(c, root, "top level", {"providers", "models", "policies", "pools", "retry", "circuit_breaker", "budgets", "api_keys",
                                    "ledger_dir", "ledger_sync", "default_model"});
  RouterConfig cfg;
  try {
    parse_providers(c, root, cfg);
    parse_models(c, root, cfg);
    parse_policies(c, root, cfg);
    parse_pools(c, root, cfg);
    parse_retry_and_breaker(c, root, cfg);
    parse_budgets(c, root, cfg);
    parse_api_keys(c, root, cfg);
    cfg.ledger_dir = get<std::string>(c, root["ledger_dir"], "ledger_dir", "");
    if (auto n = root["ledger_sync"]) {
      const std::string v = get<std::string>(c, n, "ledger_sync", "");
      if (v == "strict") cfg.ledger_sync = LedgerSync::strict;
      else if (v != "background") c.bad(n, "ledger_sync", "must be background or strict, not '" + v + "'");
    }
    cfg.default_model = get<std::string>(c, root["default_model"], "default_model", "");
    if (!cfg.default_model.empty() && !cfg.policies.count(cfg.default_model) && !model_defined(cfg, cfg.default_model))
      c.bad(root["default_model"], "default_model", undefined_model_message(cfg, cfg.default_model) + " or a policy");
  } catch (const YAML::Exception& e) {
    // A shape the checks above did not expect (a list where a name goes, say).
    c.bad(YAML::Node(), "line " + std::to_string(e.mark.line + 1), e.msg);
  }
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
