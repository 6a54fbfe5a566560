// The grammar a request's structured-output fields ask the local engine for.
#pragma once
#include <memory>

#include "router/types.h"
#include "sampling/grammar.h"

namespace hearth::app {

// nullptr when the output is unconstrained. A bad grammar or schema is a bad_request naming the
// field it came from (e.g. "response_format.json_schema.schema").
std::shared_ptr<const sampling::Grammar> output_grammar(const router::OutputFormat& f);

}  // namespace hearth::app
