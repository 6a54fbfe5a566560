// Request bodies of every gateway dialect into canonical requests, without HTTP, so the fuzzer and
// tests drive exactly what the endpoints run. Every function throws ProviderError(bad_request)
// with param() naming the offending field.
#pragma once
#include <string>
#include <string_view>

#include "router/types.h"
#include "router/wire_ollama.h"

namespace hearth::router {

// Valid UTF-8 (checked first, with the byte offset) and valid JSON, else bad_request.
json parse_request_body(std::string_view body);

struct OpenAIChat {
  ChatRequest req;
  bool stream = false;
  bool include_usage = false;
};
OpenAIChat parse_openai_chat(const json& j);

struct OpenAICompletion {
  CompletionRequest req;
  bool stream = false;
  bool include_usage = false;
};
OpenAICompletion parse_openai_completion(const json& j);

struct EmbeddingCall {
  EmbeddingRequest req;
  bool base64 = false;  // OpenAI encoding_format "base64": little-endian float32, base64-encoded
};
EmbeddingCall parse_openai_embeddings(const json& j);
// Ollama /api/embed (input: string or array) and the legacy /api/embeddings (prompt: string).
EmbeddingCall parse_ollama_embed(const json& j, bool legacy);

// "hearth_memory": true|false in a body -> ChatRequest::use_memory.
void parse_memory_flag(const json& j, ChatRequest& req);

}  // namespace hearth::router
