// The in-process engine as a router provider: the `local` provider entry every front end that
// runs a model adds to its router config, and a router with an engine already in its slot.
#pragma once
#include <memory>
#include <string>

#include "model/model.h"
#include "router/config.h"
#include "router/router.h"

namespace hearth::app {

// Adds provider `local` (type local, not remote) unless the config has one.
void ensure_local_provider(router::RouterConfig& cfg);

// A router over `cfg` whose `local` provider is an engine on `path`, answering as local:NAME
// where NAME is the file's stem (returned in `name`).
std::unique_ptr<router::Router> router_with_local_model(router::RouterConfig cfg, const std::string& path,
                                                        const model::LoadOptions& load, std::string* name);

}  // namespace hearth::app
