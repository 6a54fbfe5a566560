// OpenAI's legacy Completions API (/v1/completions), both directions: prompt in, text out, with
// `echo` (the prompt comes back first) and `logprobs: N`. Evaluation scores answers this way.
#pragma once
#include <string>

#include "router/types.h"
#include "router/wire_openai.h"

namespace hearth::router::openai {

json completion_request_to_json(const CompletionRequest& req, bool stream);

// Turns text_completion objects (streamed chunks, or one whole response) into events. Text that
// repeats the prompt (echo) is marked so callers can tell it from generated text.
class CompletionDecoder : public ChunkDecoder {
 public:
  explicit CompletionDecoder(size_t prompt_bytes, bool echo) : prompt_(echo ? prompt_bytes : 0) {}
  bool feed(const json& chunk, const StreamSink& sink);

 private:
  bool emit(std::string text, std::vector<TokenLogprob> lps, bool echo, const StreamSink& sink);
  size_t prompt_;
  size_t seen_ = 0;  // bytes of text received so far
};

// A whole completion as a text_completion object (content = echoed prompt + generated text).
json completion_response_to_json(const ChatResponse& r, const std::string& id, const std::string& model, bool logprobs);

// Events to streamed text_completion chunks ("data: ...\n\n"), then usage (if asked) and [DONE].
class CompletionEncoder {
 public:
  CompletionEncoder(std::string id, std::string model, long created, bool include_usage)
      : id_(std::move(id)), model_(std::move(model)), created_(created), usage_(include_usage) {}
  void encode(const StreamEvent& e, std::string& out);
  void finish(std::string& out);

 private:
  json chunk(const std::string& text, json logprobs, json finish) const;
  std::string id_, model_;
  long created_;
  bool usage_;
  size_t offset_ = 0;  // text_offset continues across chunks
  Usage u_;
};

}  // namespace hearth::router::openai
