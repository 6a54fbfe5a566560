// `hearth template -t T.jinja --case CASE.json`: renders a chat template for one conversation
// exactly as transformers would, for checking templates by hand and in end-to-end tests.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/command.h"
#include "cli/file_input.h"
#include "core/error.h"
#include "core/json.h"
#include "jinja/chat.h"

namespace hearth::cli {
namespace {

struct TemplateArgs {
  std::string template_path, case_path, now;
};

}  // namespace

Command template_command() {
  return {"template", "Render a chat template for a conversation (HF-compatible)", [](CLI::App& app) {
    auto args = std::make_shared<TemplateArgs>();
    app.add_option("-t,--template", args->template_path, "Jinja chat template file")->required();
    app.add_option("--case", args->case_path,
                   "JSON with messages, tools, add_generation_prompt, bos_token, eos_token")->required();
    app.add_option("--now", args->now, "Clock for strftime_now, \"YYYY-MM-DD HH:MM:SS\" (UTC)");
    return [args]() {
      return run_guarded([&] {
        std::string src = read_input_file(args->template_path, "--template");
        ordered_json c;
        try {
          c = ordered_json::parse(read_input_file(args->case_path, "--case"));
        } catch (const ordered_json::exception& e) {
          fail(Errc::format, "case file '" + args->case_path + "' is not valid JSON: " + e.what());
        }
        if (!c.is_object()) fail(Errc::format, "case file '" + args->case_path + "' must hold a JSON object");
        jinja::ChatInput in;
        if (c.contains("messages")) in.messages = c["messages"];
        if (c.contains("tools")) in.tools = c["tools"];
        in.add_generation_prompt = c.value("add_generation_prompt", false);
        in.bos_token = c.value("bos_token", std::string());
        in.eos_token = c.value("eos_token", std::string());
        if (c.contains("extra_context")) in.extra_context = c["extra_context"];
        if (!args->now.empty()) in.now = jinja::parse_fixed_time(args->now);
        try {
          std::string out = jinja::render_chat(src, in);
          std::fwrite(out.data(), 1, out.size(), stdout);
          return kExitOk;
        } catch (const jinja::TemplateError& e) {
          // The template's own message (raise_exception) verbatim; syntax errors carry line/column.
          std::fprintf(stderr, "%s\n", e.what());
          return kExitFailure;
        }
      });
    };
  }};
}

}  // namespace hearth::cli
