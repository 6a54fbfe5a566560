#include "app/local_provider.h"

#include <filesystem>

#include "app/engine_backend.h"
#include "engine/loader.h"
#include "engine/scheduler.h"

namespace hearth::app {

void ensure_local_provider(router::RouterConfig& cfg) {
  if (cfg.providers.count("local")) return;
  router::ProviderConfig p;
  p.name = "local";
  p.type = "local";
  p.remote = false;
  cfg.providers["local"] = p;
}

std::unique_ptr<router::Router> router_with_local_model(router::RouterConfig cfg, const std::string& path,
                                                        const model::LoadOptions& load, std::string* name) {
  const std::string stem = std::filesystem::path(path).stem().string();
  auto sched = std::make_shared<engine::Scheduler>(engine::load_model(path, load), engine::SchedulerOptions{});
  ensure_local_provider(cfg);
  router::RouterOptions ropts;
  ropts.local = std::make_shared<router::LocalBackendSlot>();
  ropts.local->set(std::make_shared<EngineBackend>(sched, stem));
  if (name) *name = stem;
  return std::make_unique<router::Router>(std::move(cfg), ropts);
}

}  // namespace hearth::app
