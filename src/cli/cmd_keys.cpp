// `hearth keys`: virtual API keys for `hearth gateway`, each with its own budget, models and
// rate limits; stored hashed in $HEARTH_HOME/keys.db.
#include <cstdio>

#include "cli/command.h"
#include "core/clock.h"
#include "core/paths.h"
#include "router/config.h"
#include "router/key_store.h"
#include "router/ledger.h"

namespace hearth::cli {
namespace {

struct KeysOpts {
  std::string which, name, period = "month", config;
  double budget = 0;
  std::vector<std::string> models;
  int rpm = 0, tpm = 0;
  bool json_out = false;
};

// Spend per key name in each key's own current period, from the ledger.
std::map<std::string, double> spend_by_key(const KeysOpts& o, const std::vector<router::VirtualKey>& keys) {
  std::filesystem::path dir = hearth_home() / "ledger";
  if (!o.config.empty()) {
    auto cfg = router::load_config(o.config);
    if (!cfg.ledger_dir.empty()) dir = cfg.ledger_dir;
  }
  std::map<std::string, router::Period> period;
  for (const auto& k : keys) period[k.name] = k.period;
  const std::string now = utc_now_text();
  std::map<std::string, double> out;
  for (const auto& r : router::Ledger(dir).read()) {
    auto it = period.find(r.key);
    if (it == period.end()) continue;
    const size_t n = it->second == router::Period::day ? 10 : it->second == router::Period::month ? 7 : 0;
    if (r.time.compare(0, n, now, 0, n) == 0) out[r.key] += r.cost_usd;
  }
  return out;
}

int run(const KeysOpts& o) {
  router::KeyStore store(router::KeyStore::default_path());
  if (o.which == "create") {
    router::VirtualKey spec;
    spec.name = o.name;
    spec.budget_usd = o.budget;
    spec.period = router::parse_period(o.period);
    spec.models = o.models;
    spec.rpm = o.rpm;
    spec.tpm = o.tpm;
    const std::string secret = store.create(spec);
    auto k = store.by_name(o.name);
    if (o.json_out) {
      json j = k->to_json();
      j["key"] = secret;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s\n", secret.c_str());
      std::fprintf(stderr, "created key '%s'; copy it now: hearth keeps only its hash\n", o.name.c_str());
    }
    return kExitOk;
  }
  if (o.which == "revoke") {
    store.revoke(o.name);
    if (o.json_out) std::printf("%s\n", store.by_name(o.name)->to_json().dump().c_str());
    else std::printf("revoked key '%s'\n", o.name.c_str());
    return kExitOk;
  }
  auto keys = store.list();
  auto spent = spend_by_key(o, keys);
  if (o.json_out) {
    json arr = json::array();
    for (const auto& k : keys) {
      json j = k.to_json();
      j["spent_usd"] = spent[k.name];
      arr.push_back(j);
    }
    std::printf("%s\n", json{{"keys", arr}}.dump().c_str());
    return kExitOk;
  }
  if (keys.empty()) {
    std::printf("no keys yet: try 'hearth keys create NAME --budget 5 --rpm 60'\n");
    return kExitOk;
  }
  std::printf("%-16s %-10s %-8s %-22s %6s %8s  %s\n", "name", "key", "state", "spent / budget", "rpm", "tpm", "models");
  for (const auto& k : keys) {
    char money[64];
    if (k.budget_usd > 0)
      std::snprintf(money, sizeof money, "$%.4f / $%g a %s", spent[k.name], k.budget_usd, k.period == router::Period::all ? "total" : router::period_name(k.period));
    else
      std::snprintf(money, sizeof money, "$%.4f", spent[k.name]);
    std::string models;
    for (const auto& m : k.models) models += (models.empty() ? "" : ",") + m;
    std::printf("%-16s %-10s %-8s %-22s %6s %8s  %s\n", k.name.c_str(), k.prefix.c_str(), k.revoked.empty() ? "active" : "revoked",
                money, k.rpm ? std::to_string(k.rpm).c_str() : "-", k.tpm ? std::to_string(k.tpm).c_str() : "-",
                models.empty() ? "all" : models.c_str());
  }
  return kExitOk;
}

}  // namespace

Command keys_command() {
  return {"keys", "Create, list and revoke virtual API keys for the gateway (budgets, models, rate limits)", [](CLI::App& app) {
    auto o = std::make_shared<KeysOpts>();
    app.require_subcommand(1);
    auto* create = app.add_subcommand("create", "Make a key (printed once; only its hash is kept)");
    create->add_option("name", o->name, "Its name, as the ledger and budgets record it")->required();
    create->add_option("--budget", o->budget, "Spend limit in USD per period (default: none)")->check(CLI::NonNegativeNumber);
    create->add_option("--period", o->period, "Budget period: day, month (default) or all")
        ->check(CLI::IsMember({"day", "month", "all"}));
    create->add_option("--models", o->models, "Models it may use (comma-separated; NAME* = prefix; default: all)")->delimiter(',');
    create->add_option("--rpm", o->rpm, "Requests per minute (default: no limit)")->check(CLI::NonNegativeNumber);
    create->add_option("--tpm", o->tpm, "Tokens per minute, input + output (default: no limit)")->check(CLI::NonNegativeNumber);
    create->add_flag("--json", o->json_out, "Machine-readable output (includes the key)");
    create->callback([o] { o->which = "create"; });
    auto* list = app.add_subcommand("list", "Every key with its state, spend this period and limits");
    list->add_option("--config", o->config, "Router config (for a custom ledger_dir)");
    list->add_flag("--json", o->json_out, "Machine-readable output");
    list->callback([o] { o->which = "list"; });
    auto* revoke = app.add_subcommand("revoke", "Stop a key from working (at the gateway's next request)");
    revoke->add_option("name", o->name, "The key's name")->required();
    revoke->add_flag("--json", o->json_out, "Machine-readable output");
    revoke->callback([o] { o->which = "revoke"; });
    return [o]() { return run_guarded([&]() { return run(*o); }); };
  }};
}

}  // namespace hearth::cli
