// OpenAI Chat Completions wire format, both directions: the openai provider encodes requests
// and decodes responses/chunks; the gateway decodes requests and encodes responses/chunks.
#pragma once
#include <optional>
#include <string>

#include "router/types.h"

namespace hearth::router::openai {

json request_to_json(const ChatRequest& req, bool stream);
ChatRequest request_from_json(const json& j);  // throws ProviderError(bad_request)
json response_to_json(const ChatResponse& r, const std::string& model);
ChatResponse response_from_json(const json& j);
StopReason parse_finish(const std::string& s);
// Seed, penalties, logit bias, logprobs and hearth's extra samplers, when set.
void add_sampling(const SamplingOptions& s, json& j);
const char* finish_name(StopReason r);

// What both OpenAI stream decoders (chat.completion.chunk, text_completion) do around a
// chunk's choices: refuse error chunks, emit the start event once, and hold the finish event back
// so usage (in the same chunk or a later one) reaches the sink before it.
class ChunkDecoder {
 public:
  bool finished() const { return finished_; }  // a finish_reason arrived
  // At end of stream: emits the held-back finish event.
  bool flush(const StreamSink& sink);

 protected:
  // Throws ProviderError for a malformed (`what` names it) or error chunk; emits the start event
  // on the first chunk. False when the sink refused.
  bool begin(const json& chunk, const char* what, const StreamSink& sink);
  void hold_finish(const json& choice);  // records choice.finish_reason, if any
  bool usage(const json& chunk, const StreamSink& sink);

 private:
  bool started_ = false, finished_ = false;
  std::optional<StreamEvent> pending_finish_;
};

// Turns chat.completion.chunk objects into events.
class StreamDecoder : public ChunkDecoder {
 public:
  // Returns false when the sink refused an event.
  bool feed(const json& chunk, const StreamSink& sink);
};

// Turns events into chat.completion.chunk objects (without the "data: " framing).
class StreamEncoder {
 public:
  StreamEncoder(std::string id, std::string model, long created, bool include_usage)
      : id_(std::move(id)), model_(std::move(model)), created_(created), usage_(include_usage) {}
  // Appends zero or more chunks to `out` as SSE "data: ...\n\n" frames.
  void encode(const StreamEvent& e, std::string& out);
  void finish(std::string& out);  // usage chunk (if asked) and [DONE]

 private:
  json chunk(json delta, json finish) const;
  std::string id_, model_;
  long created_;
  bool usage_;
  bool role_sent_ = false;
  Usage u_;
};

}  // namespace hearth::router::openai
