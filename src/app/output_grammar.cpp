#include "app/output_grammar.h"

#include "sampling/json_schema.h"

namespace hearth::app {

std::shared_ptr<const sampling::Grammar> output_grammar(const router::OutputFormat& f) {
  if (!f.constrained()) return nullptr;
  try {
    if (!f.grammar.empty()) return sampling::Grammar::parse(f.grammar);
    return sampling::Grammar::parse(f.schema.is_null() ? sampling::json_object_gbnf()
                                                       : sampling::json_schema_to_gbnf(f.schema));
  } catch (const Error& e) {
    if (e.code() != Errc::invalid_argument) throw;
    throw router::bad_field(f.field.empty() ? "response_format" : f.field, std::string("is not usable: ") + e.what());
  }
}

}  // namespace hearth::app
