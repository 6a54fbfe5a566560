// Ollama's native wire format, both directions: /api/chat and /api/generate (NDJSON streaming
// by default), options, durations in nanoseconds.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "router/types.h"

namespace hearth::router::ollama {

json request_to_json(const ChatRequest& req, bool stream);
// A raw /api/generate request (no template: the prompt goes to the model as is).
json generate_request_to_json(const CompletionRequest& req, bool stream);
// Ollama "options" (num_predict, temperature, top_k, ...) and logprobs from hearth's fields.
void add_options(std::optional<int> max_tokens, std::optional<double> temperature, std::optional<double> top_p,
                 const std::vector<std::string>& stop, const SamplingOptions& s, json& j);

// Sampling fields a request's "options", "format" and "logprobs" carry.
struct Sampled {
  std::optional<int> max_tokens;
  std::optional<double> temperature, top_p;
  std::vector<std::string> stop;
  OutputFormat format;
  SamplingOptions sampling;
  std::optional<double> keep_alive_s;  // "keep_alive": seconds, or a duration such as "5m"
};
// Ollama's keep_alive value in seconds: a number of seconds, or a duration string ("30s", "5m",
// "1h30m", "-1"). Negative means forever. Throws ProviderError(bad_request) naming the field.
double parse_keep_alive(const json& v);
// Throws ProviderError(bad_request) naming the field (param) on a wrong type.
void parse_options(const json& j, Sampled& out);

// Returns the request and whether the client asked to stream (Ollama's default is true).
ChatRequest request_from_json(const json& j, bool* stream);

// POST /api/generate: templated (a chat of system + prompt) or raw (a text completion).
struct Generate {
  std::string model, prompt, system;
  bool raw = false, stream = true;
  bool images = false;  // the request carried "images"
  Sampled options;
  ChatRequest chat() const;
  CompletionRequest completion() const;
};
Generate generate_from_json(const json& j);

// One NDJSON line of a /api/chat or /api/generate reply into events; sets *done on the final line.
bool decode_line(const json& j, const StreamSink& sink, int* tool_calls, bool* started, bool* done);

// Wall-clock phases of one request, reported as Ollama's *_duration fields (nanoseconds): the
// prompt phase runs until the first token, the eval phase from there to the end.
struct Timing {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), first_token;
  bool have_first = false;
  void mark_first() {
    if (!have_first) first_token = std::chrono::steady_clock::now(), have_first = true;
  }
  void add_to(json& j, const Usage& u) const;
  static int64_t since(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b);
};

// Events into NDJSON lines (for the gateway).
class LineEncoder {
 public:
  LineEncoder(std::string model, bool generate = false, bool logprobs = false)
      : model_(std::move(model)), generate_(generate), logprobs_(logprobs) {}
  void encode(const StreamEvent& e, std::string& out);
  void finish(std::string& out);

 private:
  json line(json body, bool done) const;
  std::string model_;
  bool generate_, logprobs_;
  Timing timing_;
  Usage usage_;
  StopReason stop_ = StopReason::stop;
  std::vector<ToolCall> calls_;  // Ollama sends tool calls whole, so fragments are held until done
};

json response_to_json(const ChatResponse& r, const std::string& model, const Timing& t = {}, bool generate = false,
                      bool logprobs = false);

}  // namespace hearth::router::ollama
