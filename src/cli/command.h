// Subcommands. Each `hearth X` lives in its own cmd_X.cpp as a function X_command() returning its
// Command; commands.cpp lists those functions, one line each, and main() dispatches on the first
// argument. Commands parse their own flags with
// CLI11 and return an exit code: 0 success, 1 failure, 2 bad usage.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace hearth::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct Command {
  std::string name;
  std::string summary;
  // Adds the command's flags to `app` and returns the function to run once they are parsed.
  std::function<std::function<int()>(CLI::App& app)> setup;
};

// Every command, in the order of commands.cpp.
const std::vector<Command>& commands();

// Runs a command's parsed body, turning hearth::Error and other exceptions into a one-line
// message on stderr and exit code 1.
int run_guarded(const std::function<int()>& body);

// "hearth: error: <message>" on stderr.
void print_error(const std::string& message);

}  // namespace hearth::cli
