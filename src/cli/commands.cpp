// The registration list of `hearth` subcommands: one line per command.
#include "cli/command.h"

namespace hearth::cli {

Command bench_command();
Command chat_command();
Command devices_command();
Command eval_command();
Command gateway_command();
Command inspect_command();
Command keys_command();
Command ledger_command();
Command logits_command();
Command mcp_command();
Command embed_command();
Command grammar_command();
Command memory_command();
Command pack_command();
Command pull_command();
Command list_command();
Command rm_command();
Command quantize_command();
Command route_command();
Command run_command();
Command serve_command();
Command synth_command();
Command template_command();
Command tokenize_command();
Command version_command();

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      bench_command(),
      chat_command(),
      devices_command(),
      eval_command(),
      gateway_command(),
      inspect_command(),
      keys_command(),
      ledger_command(),
      logits_command(),
      mcp_command(),
      embed_command(),
      grammar_command(),
      memory_command(),
      pack_command(),
      pull_command(),
      list_command(),
      rm_command(),
      quantize_command(),
      route_command(),
      run_command(),
      serve_command(),
      synth_command(),
      template_command(),
      tokenize_command(),
      version_command(),
  };
  return all;
}

}  // namespace hearth::cli
