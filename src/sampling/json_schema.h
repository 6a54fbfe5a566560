// JSON Schema -> GBNF. The accepted language follows llama.cpp's json_schema_to_grammar (so a
// `json_schema` means the same thing on either server): object properties in a fixed order
// (required ones first, then optional ones, each in schema order), whitespace between tokens of
// nothing, one space, or a newline and up to 20 spaces/tabs, `const`/`enum` values written as
// Python's json.dumps writes them, at most 16 integer digits.
//
// Supported: type (including lists of types), enum, const, properties, required,
// additionalProperties, items, prefixItems, minItems, maxItems, anyOf, oneOf, allOf (of objects),
// $ref into $defs/definitions (recursion included), minLength, maxLength, pattern (anchored with
// ^...$), format date/time/date-time/uuid, integer minimum/maximum/exclusiveMinimum/
// exclusiveMaximum. Annotations (title, description, default, examples, $schema, $id, $comment,
// deprecated, readOnly, writeOnly) are ignored. Anything else throws Error(invalid_argument)
// naming the keyword and where it is ("json schema: at /properties/age: ...").
#pragma once
#include <string>

#include "core/json.h"

namespace hearth::sampling {

// Takes an ordered_json: property order is part of the language, and nlohmann::json sorts keys.
// root_name names the top rule ("root" for a grammar of its own; another name to embed the
// rules in a larger grammar, whose own rule names must then not clash with the converter's).
std::string json_schema_to_gbnf(const ordered_json& schema, const std::string& root_name = "root");

// The grammar of any JSON value (what OpenAI's json_object and Ollama's "json" ask for); the top
// level must be an object, as OpenAI's JSON mode promises.
std::string json_object_gbnf();

}  // namespace hearth::sampling
