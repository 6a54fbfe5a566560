#include <cstdio>

#include "cli/command.h"
#include "core/version.h"
#include "core/json.h"

namespace hearth::cli {

Command version_command() {
  return {"version", "Print hearth's version and build", [](CLI::App& app) {
    auto json_out = std::make_shared<bool>(false);
    app.add_flag("--json", *json_out, "Machine-readable output");
    return [json_out]() {
      if (*json_out) {
        json j = {{"version", hearth::version()}, {"commit", hearth::git_commit()}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf("hearth %s (%s)\n", hearth::version(), hearth::git_commit());
      }
      return kExitOk;
    };
  }};
}

}  // namespace hearth::cli
