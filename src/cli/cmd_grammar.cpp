// `hearth grammar check (-g FILE.gbnf | --json-schema FILE.json)`: does the grammar accept the
// whole of stdin? Exit 0 yes, 1 no (saying at which byte), 2 when the grammar or schema is invalid.
// `hearth grammar convert --json-schema FILE.json` prints the GBNF a schema becomes.
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli/command.h"
#include "cli/file_input.h"
#include "core/error.h"
#include "core/json.h"
#include "sampling/grammar.h"
#include "sampling/json_schema.h"

namespace hearth::cli {
namespace {

struct GrammarArgs {
  std::string gbnf, schema;
  bool json_out = false;
};

// GBNF text from -g or --json-schema; throws Error(invalid_argument) for a bad schema.
std::string grammar_text(const GrammarArgs& a) {
  if (!a.gbnf.empty()) return read_input_file(a.gbnf, "--grammar");
  const std::string text = read_input_file(a.schema, "--json-schema");
  ordered_json schema;
  try {
    schema = ordered_json::parse(text);
  } catch (const ordered_json::exception& e) {
    fail(Errc::invalid_argument, "--json-schema: " + a.schema + " is not valid JSON: " + e.what());
  }
  return sampling::json_schema_to_gbnf(schema);
}

int check(const GrammarArgs& a) {
  std::shared_ptr<const sampling::Grammar> g;
  try {
    g = sampling::Grammar::parse(grammar_text(a));
  } catch (const Error& e) {
    if (e.code() != Errc::invalid_argument) throw;
    print_error(e.what());
    return kExitUsage;
  }
  const std::string text((std::istreambuf_iterator<char>(std::cin)), {});
  sampling::GrammarMatcher m(g);
  bool took = false;
  try {
    took = m.accept(text);
  } catch (const Error& e) {
    if (e.code() != Errc::invalid_argument) throw;
    print_error(e.what());
    return kExitUsage;
  }
  const bool ok = took && m.complete();
  if (a.json_out) {
    json j = {{"accepted", ok}, {"bytes", text.size()}};
    if (!ok) j["failed_at"] = took ? text.size() : m.failed_at();
    std::printf("%s\n", j.dump().c_str());
  } else if (!took) {
    std::fprintf(stderr, "rejected at byte %zu of %zu\n", m.failed_at(), text.size());
  } else if (!ok) {
    std::fprintf(stderr, "rejected: the text ends early (byte %zu); the grammar needs more\n", text.size());
  }
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

Command grammar_command() {
  return {"grammar", "Check texts against GBNF grammars or JSON schemas; convert schemas to GBNF", [](CLI::App& app) {
    app.require_subcommand(1);
    auto a = std::make_shared<GrammarArgs>();
    auto* chk = app.add_subcommand("check", "Exit 0 when the grammar accepts all of stdin, 1 when not, 2 when it is invalid");
    auto* g = chk->add_option("-g,--grammar", a->gbnf, "GBNF grammar file");
    auto* s = chk->add_option("--json-schema", a->schema, "JSON schema file");
    g->excludes(s);
    chk->add_flag("--json", a->json_out, "Print {\"accepted\", \"failed_at\"} as JSON");
    auto c = std::make_shared<GrammarArgs>();
    auto* conv = app.add_subcommand("convert", "Print the GBNF grammar a JSON schema becomes");
    conv->add_option("--json-schema", c->schema, "JSON schema file ('-': stdin)")->required();
    return [=]() {
      return run_guarded([&] {
        if (chk->parsed()) {
          if (a->gbnf.empty() && a->schema.empty()) {
            print_error("grammar check: give -g FILE.gbnf or --json-schema FILE.json");
            return kExitUsage;
          }
          return check(*a);
        }
        const std::string gbnf = grammar_text(*c);
        sampling::Grammar::parse(gbnf);  // what we print must load
        std::fwrite(gbnf.data(), 1, gbnf.size(), stdout);
        return kExitOk;
      });
    };
  }};
}

}  // namespace hearth::cli
