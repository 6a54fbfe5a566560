#include <cstdio>

#include "cli/command.h"
#include "core/json.h"

namespace hearth::cli {

Command version_command() {
  return {"version", "Print hearth's version and build", [](CLI::App& app) {
    auto json_out = std::make_shared<bool>(false);
    app.add_flag("--json", *json_out, "Machine-readable output");
    return [json_out]() {
      if (*json_out) {
        json j = {{"version", HEARTH_VERSION}, {"commit", HEARTH_GIT_COMMIT}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("hearth %s (%s)\n", HEARTH_VERSION, HEARTH_GIT_COMMIT);
      }
      return kExitOk;
    };
  }};
}

}  // namespace hearth::cli
