#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/command.h"
#include "cli/gpu_flags.h"
#include "core/version.h"
#include "cli/pack_run.h"
#include "core/error.h"

namespace hearth::cli {

void print_error(const std::string& message) { std::fprintf(stderr, "hearth: error: %s\n", message.c_str()); }

int run_guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    print_error(e.what());
    return e.code() == Errc::invalid_argument ? kExitUsage : kExitFailure;
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitFailure;
  }
}

namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out, "hearth %s: local-first AI\n\nUsage: hearth COMMAND [options]\n\nCommands:\n",
               hearth::version());
  auto cmds = commands();
  std::sort(cmds.begin(), cmds.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  for (const auto& c : cmds) std::fprintf(out, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
  std::fprintf(out, "\nRun 'hearth COMMAND --help' for a command's options.\n");
}

}  // namespace
}  // namespace hearth::cli

namespace hearth::cli {

bool is_command(const std::string& name) {
  for (const auto& cmd : commands())
    if (cmd.name == name) return true;
  return false;
}

int dispatch(const std::vector<std::string>& args, bool later_flags_win) {
  if (args.empty()) {
    print_usage(stderr);
    return kExitUsage;
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(stdout);
    return kExitOk;
  }
  if (name == "--version") {
    std::printf("hearth %s (%s)\n", hearth::version(), hearth::git_commit());
    return kExitOk;
  }
  for (const auto& cmd : commands()) {
    if (cmd.name != name) continue;
    CLI::App app{cmd.summary, "hearth " + cmd.name};
    app.set_help_flag("-h,--help", "Print this help and exit");
    std::function<int()> body;
    int setup_status = run_guarded([&] {
      body = cmd.setup(app);
      return kExitOk;
    });
    if (setup_status != kExitOk) return setup_status;
    if (later_flags_win) {
      // A pack's embedded defaults come first on the line; the user's flags after them win.
      for (CLI::Option* opt : app.get_options())
        if (opt->get_items_expected_max() <= 1) opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    // CLI11 parses a reversed vector of the arguments after the command name.
    std::vector<std::string> rest(args.rbegin(), args.rend() - 1);
    rewrite_ngl(rest);
    try {
      app.parse(rest);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);  // prints help, 0
    } catch (const CLI::ParseError& e) {
      std::fprintf(stderr, "hearth %s: %s\nRun 'hearth %s --help' for usage.\n", name.c_str(), e.what(),
                   name.c_str());
      return kExitUsage;
    }
    return run_guarded(body);
  }
  print_error("unknown command '" + name + "'");
  print_usage(stderr);
  return kExitUsage;
}

}  // namespace hearth::cli

int main(int argc, char** argv) {
  using namespace hearth::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  // A packed executable (hearth pack) runs its embedded model unless a hearth command is named.
  if (std::optional<int> status = run_if_packed(argv[0], args)) return *status;
  return dispatch(args, false);
}
