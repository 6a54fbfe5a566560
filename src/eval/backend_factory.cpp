// "local:FILE" -> the engine; "pool:NAME" -> the router config's pool of endpoints, sharded;
// anything else -> the router (its config, or one OpenAI-compatible base URL given on the
// command line).
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "eval/backend_local.h"
#include "eval/backend_remote.h"
#include "eval/backend_remote_pool.h"
#include "router/config.h"

namespace hearth::eval {

std::unique_ptr<Backend> make_backend(const std::string& model, const BackendOptions& opts) {
  if (model.rfind("local:", 0) == 0) {
    std::string path = model.substr(6);
    if (path.empty()) fail(Errc::invalid_argument, "--model local: needs a GGUF file (local:FILE.gguf)");
    return std::make_unique<LocalBackend>(path, opts);
  }
  size_t colon = model.find(':');
  if (colon == std::string::npos || colon == 0)
    fail(Errc::invalid_argument, "--model '" + model + "': expected local:FILE.gguf or provider:model");
  router::RouterConfig cfg;
  router::RouterOptions ropts;
  if (!opts.base_url.empty()) {
    std::string provider = model.substr(0, colon);
    std::string yaml = "providers:\n  " + provider + ": {type: openai, base_url: \"" + opts.base_url + "\", remote: false" +
                       (opts.api_key_env.empty() ? std::string() : ", api_key_env: " + opts.api_key_env) + "}\n";
    cfg = router::parse_config(yaml, "--base-url");
    ropts.use_ledger = false;
  } else {
    std::filesystem::path file = opts.router_config.empty() ? router::default_config_path() : std::filesystem::path(opts.router_config);
    if (!std::filesystem::exists(file))
      fail(Errc::not_found, "remote model '" + model + "' needs a router config: " + file.string() +
                                " does not exist (pass --router-config FILE or --base-url URL)");
    cfg = router::load_config(file);
  }
  // pool:NAME shards the run over the config's pool NAME (a provider named "pool" would be
  // shadowed only when a pool of that name exists).
  if (model.rfind("pool:", 0) == 0 && cfg.pools.count(model.substr(5))) {
    router::Pool pool = cfg.pools.at(model.substr(5));
    return std::make_unique<PoolBackend>(std::make_shared<router::Router>(std::move(cfg), ropts), pool);
  }
  if (model.rfind("pool:", 0) == 0 && !cfg.providers.count("pool")) {
    std::string known;
    for (const auto& [n, _] : cfg.pools) known += (known.empty() ? "" : ", ") + n;
    fail(Errc::not_found, "--model " + model + ": the router config has no pool '" + model.substr(5) + "'" +
                              (known.empty() ? std::string(" (it defines no pools)") : " (pools: " + known + ")"));
  }
  auto r = std::make_shared<router::Router>(std::move(cfg), ropts);
  return std::make_unique<RemoteBackend>(r, model, opts.concurrency);
}

}  // namespace hearth::eval
