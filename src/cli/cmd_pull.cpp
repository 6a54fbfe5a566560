#include <unistd.h>

#include <cstdio>

#include "cli/command.h"
#include "cli/env_options.h"
#include "cli/progress_bar.h"
#include "core/json.h"
#include "hub/catalog.h"
#include "hub/model_store.h"

namespace hearth::cli {

Command pull_command() {
  return {"pull", "Download a model into the model folder (resumable, verified)", [](CLI::App& app) {
    auto spec = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    auto quiet = std::make_shared<bool>(false);
    app.add_option("model", *spec, "Catalog name or hf:OWNER/REPO/FILE.gguf (default: " +
                                       hub::default_model().name + ")");
    app.add_flag("--json", *as_json, "Print the stored model as JSON");
    app.add_flag("-q,--quiet", *quiet, "No progress bar");
    app.footer("Catalog: " + [] {
      std::string s;
      for (const auto& e : hub::catalog()) s += "\n  " + e.name + "  " + e.description;
      return s;
    }() + "\nDownloads come from $HEARTH_HF_ENDPOINT (default https://huggingface.co).");
    return [=]() {
      std::string what = spec->empty() ? hub::default_model().name : *spec;
      ProgressBar bar(!*quiet && ::isatty(STDERR_FILENO));
      auto m = hub::pull(what, [&](uint64_t d, uint64_t t) { bar.update(d, t); }, hf_endpoint_from_env());
      bar.finish();
      if (*as_json) {
        json j = {{"name", m.name}, {"path", m.path}, {"url", m.url}, {"sha256", m.sha256}, {"bytes", m.bytes}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("%s  %s  (%.1f MB, sha256 %s)\n", m.name.c_str(), m.path.c_str(), m.bytes / 1e6,
                    m.sha256.substr(0, 12).c_str());
      }
      return kExitOk;
    };
  }};
}

Command list_command() {
  return {"list", "List downloaded models", [](CLI::App& app) {
    auto as_json = std::make_shared<bool>(false);
    app.add_flag("--json", *as_json, "Machine-readable output");
    return [=]() {
      auto models = hub::list_models();
      if (*as_json) {
        json arr = json::array();
        for (const auto& m : models)
          arr.push_back({{"name", m.name}, {"path", m.path}, {"bytes", m.bytes}, {"sha256", m.sha256},
                         {"url", m.url}, {"pulled_at", m.pulled_at}});
        std::printf("%s\n", json{{"models", arr}}.dump().c_str());
        return kExitOk;
      }
      if (models.empty()) {
        std::printf("no models yet: try 'hearth pull %s'\n", hub::default_model().name.c_str());
        return kExitOk;
      }
      std::printf("%-40s %10s  %-20s  %s\n", "NAME", "SIZE", "PULLED", "PATH");
      for (const auto& m : models)
        std::printf("%-40s %8.1fMB  %-20s  %s\n", m.name.c_str(), m.bytes / 1e6, m.pulled_at.c_str(), m.path.c_str());
      return kExitOk;
    };
  }};
}

Command rm_command() {
  return {"rm", "Delete a downloaded model", [](CLI::App& app) {
    auto names = std::make_shared<std::vector<std::string>>();
    app.add_option("model", *names, "Stored model name(s), as 'hearth list' shows them")->required();
    return [=]() {
      for (const auto& n : *names) {
        hub::remove_model(n);
        std::printf("deleted %s\n", n.c_str());
      }
      return kExitOk;
    };
  }};
}

}  // namespace hearth::cli
