// Structured-output fields of requests, read from and written to each wire format: OpenAI's
// response_format, llama.cpp's `grammar`/`json_schema`, Ollama's `format`, Gemini's generation
// config. Malformed fields are bad_request errors naming the field.
#pragma once
#include <string_view>

#include "router/types.h"

namespace hearth::router {

// From an OpenAI-style body (chat or completions).
OutputFormat openai_output_format(const json& body);
// From Ollama's "format": "json" or a JSON schema object.
OutputFormat ollama_output_format(const json& format);

// Request bodies are parsed into json, which sorts object keys; a schema's property order is
// part of what it asks for, so it is read again, in order, from the raw body.
void restore_schema_order(std::string_view body, OutputFormat& f);

// For upstream OpenAI-compatible requests: the response_format object (null when unconstrained).
json openai_response_format(const OutputFormat& f);

}  // namespace hearth::router
