#include "cli/generation_flags.h"

#include "cli/file_input.h"
#include "core/error.h"
#include "core/json.h"
#include "sampling/json_schema.h"

namespace hearth::cli {

std::shared_ptr<const sampling::Grammar> grammar_from_flags(const GenerationFlags& f) {
  try {
    if (!f.grammar_file.empty()) return sampling::Grammar::parse(read_input_file(f.grammar_file, "--grammar"));
    if (f.json_schema.empty()) return nullptr;
    const std::string text = f.json_schema.front() == '{' ? f.json_schema : read_input_file(f.json_schema, "--json-schema");
    ordered_json schema;
    try {
      schema = ordered_json::parse(text);
    } catch (const ordered_json::exception& e) {
      fail(Errc::invalid_argument, std::string("not valid JSON: ") + e.what());
    }
    return sampling::Grammar::parse(sampling::json_schema_to_gbnf(schema));
  } catch (const Error& e) {
    if (e.code() != Errc::invalid_argument) throw;
    fail(Errc::invalid_argument, std::string(f.grammar_file.empty() ? "--json-schema" : "--grammar") + ": " + e.what());
  }
}

std::unique_ptr<engine::Drafter> drafter_from_flags(const GenerationFlags& f, const engine::LoadedModel& target,
                                                    const SessionOptions& session, const model::LoadOptions& load) {
  if ((!f.draft_model.empty() || f.lookup_ngram > 0) && (!f.grammar_file.empty() || !f.json_schema.empty()))
    fail(Errc::invalid_argument, "speculative decoding (--draft-model, --lookup-ngram) does not combine with "
                                 "--grammar or --json-schema");
  return engine::make_drafter(f.draft_model, f.lookup_ngram, *target.model, session, load, f.speculative.draft_p_min);
}

}  // namespace hearth::cli
