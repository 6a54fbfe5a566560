// Subcommand registry. Each `hearth X` lives in its own cmd_X.cpp and registers itself with
// HEARTH_COMMAND; main() dispatches on the first argument. Commands parse their own flags with
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

std::vector<Command>& registry();

struct Registrar {
  explicit Registrar(Command c) { registry().push_back(std::move(c)); }
};

#define HEARTH_CONCAT_INNER(a, b) a##b
#define HEARTH_CONCAT(a, b) HEARTH_CONCAT_INNER(a, b)
// The setup lambda is variadic so commas inside it need no extra parentheses.
#define HEARTH_COMMAND(name, summary, ...) \
  static ::hearth::cli::Registrar HEARTH_CONCAT(hearth_cmd_, __LINE__)({name, summary, __VA_ARGS__})

// Runs a command's parsed body, turning hearth::Error and other exceptions into a one-line
// message on stderr and exit code 1.
int run_guarded(const std::function<int()>& body);

// "hearth: error: <message>" on stderr.
void print_error(const std::string& message);

}  // namespace hearth::cli
