// Log-probabilities and usage in OpenAI's two JSON shapes: Chat Completions
// (choices[].logprobs.content = [{token, logprob, bytes, top_logprobs}]) and the legacy
// Completions API (parallel arrays tokens / token_logprobs / top_logprobs / text_offset).
#pragma once
#include <string>
#include <vector>

#include "router/types.h"

namespace hearth::router::openai {

json chat_logprobs_json(const std::vector<TokenLogprob>& lps);
std::vector<TokenLogprob> chat_logprobs_from_json(const json& content);

// `offset` is where the first token starts in the choice's text (streams continue it).
json legacy_logprobs_json(const std::vector<TokenLogprob>& lps, size_t offset);
std::vector<TokenLogprob> legacy_logprobs_from_json(const json& j);

// {prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details: {cached_tokens}}
json usage_json(const Usage& u);
Usage usage_from_json(const json& u);

// json::dump that never throws on invalid UTF-8 (a token can be half a character).
std::string dump(const json& j);
// Appends one Server-Sent Events frame, "data: <json>\n\n".
void frame(const json& j, std::string& out);

}  // namespace hearth::router::openai
