// The router's canonical request/response/event model. Every provider translates its wire
// format to and from these types, so the router, gateway, memory and eval speak one language.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace hearth::router {

enum class Role { system, user, assistant, tool };
const char* role_name(Role r);
Role parse_role(const std::string& s);  // throws invalid_argument on unknown roles

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, exactly as the model produced it
};

struct Message {
  Role role = Role::user;
  std::string content;    // text parts joined
  std::string reasoning;  // assistant "thinking" text, when the provider exposes it
  std::vector<ToolCall> tool_calls;  // assistant tool calls
  std::string tool_call_id;          // role == tool: which call this answers
  std::string name;                  // role == tool: the tool's name (Gemini/Ollama need it)
};

struct ToolDef {
  std::string name;
  std::string description;
  json parameters = json::object();  // JSON Schema
};

// Samplers beyond OpenAI's core set (hearth's engine honours all of them; providers pass on what
// their wire format has and ignore the rest).
struct SamplingOptions {
  std::optional<uint64_t> seed;
  std::optional<int> top_k;
  std::optional<double> min_p;
  std::optional<double> typical_p;
  std::optional<double> repeat_penalty;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::vector<std::pair<int32_t, float>> logit_bias;  // token id -> bias added to its logit
  bool logprobs = false;  // report each output token's log-probability
  int top_logprobs = 0;   // and this many most likely alternatives (0-20)
};

// One token's log-probability (OpenAI's logprobs content entry).
struct TopLogprob {
  std::string token;
  float logprob = 0;
};
struct TokenLogprob {
  std::string token;  // the token's text (may be a partial UTF-8 sequence)
  float logprob = 0;
  bool has_logprob = true;  // false for the first echoed prompt token (nothing predicts it)
  std::vector<TopLogprob> top;
};

// The shape output must take: OpenAI's response_format (json_object, json_schema), llama.cpp's
// `grammar` and `json_schema` fields, Ollama's `format`.
struct OutputFormat {
  bool json = false;        // JSON output: any object, or `schema` when it is set
  ordered_json schema;      // null, or the JSON schema the output must validate against
  std::string schema_name;  // OpenAI json_schema.name
  bool strict = false;      // OpenAI json_schema.strict
  std::string grammar;      // a GBNF grammar (local engine only)
  // The request field it came from, for error messages ("response_format.json_schema.schema").
  std::string field;
  bool constrained() const { return json || !grammar.empty(); }
};

struct ChatRequest {
  std::string model;  // "provider:model", an alias or a policy name (router); upstream id (provider)
  std::vector<Message> messages;
  std::vector<ToolDef> tools;
  json tool_choice;  // null = provider default; "auto" | "none" | "required" | {"name": ...}
  std::optional<bool> parallel_tool_calls;  // unset = provider default (more than one call allowed)
  // Reasoning on or off where the model can switch it (OpenAI reasoning_effort, llama.cpp's
  // chat_template_kwargs.enable_thinking, Anthropic thinking, Ollama think); unset = model default.
  std::optional<bool> thinking;
  // How hard to reason, for templates that take a level (gpt-oss's "Reasoning: low|medium|high");
  // empty = the template's default. "minimal" asks for "low".
  std::string reasoning_effort;
  std::optional<int> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::vector<std::string> stop;
  OutputFormat format;
  SamplingOptions sampling;
  // Routing context, never sent upstream.
  std::string request_id;
  std::string api_key_id;               // which gateway key made the call (budgets, ledger)
  std::vector<std::string> memory_ids;  // memories included in the prompt (ledger)
  // Called on the copy of the request sent to each provider the router tries, just before it is
  // sent, with the provider's name and remote flag: `hearth serve` adds the memories that
  // provider may see here (and their ids to memory_ids, which the ledger records). Unset = none.
  std::function<void(ChatRequest& sent, const std::string& provider, bool remote)> for_target;
  // Per-request memory opt-in/out (header X-Hearth-Memory: on|off, or body field
  // "hearth_memory": true|false); unset = the server's default.
  std::optional<bool> use_memory;
  // How long the local engine keeps the model loaded after this request (Ollama's keep_alive, in
  // seconds; 0: unload now; negative: forever). Unset: the server's default.
  std::optional<double> keep_alive_s;
  // True once whoever asked has gone (a non-streaming HTTP client hung up): providers that work
  // token by token stop, so the engine's slot is freed at once. Unset = never.
  std::function<bool()> abandoned;
  // Where the request carried images (e.g. "messages[0].content[1]"). No model hearth serves or
  // routes to reads them, so a request with images is refused rather than answered blind.
  std::vector<std::string> image_inputs;
};

struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cached_tokens = 0;  // of input_tokens, taken from a prompt cache
};

// A plain text completion (OpenAI's legacy /v1/completions, Ollama's raw /api/generate).
// Evaluation scores answers with echo + logprobs: the prompt comes back with each token's
// log-probability, and max_tokens may be 0.
struct CompletionRequest {
  std::string model;
  std::string prompt;
  std::optional<int> max_tokens;  // unset: the provider's default (OpenAI: 16)
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::vector<std::string> stop;
  SamplingOptions sampling;  // legacy "logprobs": N sets logprobs=true, top_logprobs=N
  bool echo = false;
  OutputFormat format;
  std::string request_id;
  std::string api_key_id;
  std::optional<double> keep_alive_s;  // as in ChatRequest
  std::function<bool()> abandoned;     // as in ChatRequest
};

enum class StopReason { stop, length, tool_calls, content_filter, unknown };
const char* stop_reason_name(StopReason r);

// One attempt the router made, shown to callers in metadata and logs.
struct Attempt {
  std::string provider;
  std::string model;
  std::string status;  // "ok" or an error kind name
  std::string error;
  double latency_ms = 0;
  int http_status = 0;
};

struct RouteInfo {
  std::string provider;  // who answered
  std::string model;     // upstream model id
  std::vector<Attempt> attempts;
  double latency_ms = 0;
  double ttft_ms = 0;
  // The router's own time in latency_ms: everything but the provider calls and the waits
  // between retries (budget, ledger lines, routing).
  double overhead_ms = 0;
  double cost_usd = 0;
  json to_json() const;
};

struct ChatResponse {
  std::string id;
  std::string model;
  Message message{Role::assistant};
  StopReason stop = StopReason::stop;
  std::string stop_sequence;  // the request's stop string that ended the reply, if one did
  Usage usage;
  std::vector<TokenLogprob> logprobs;  // when requested: echoed prompt tokens first, then output
  RouteInfo route;  // filled by the router
};

// Normalised streaming: start, then any mix of deltas, then usage (optional) and finish.
struct StreamEvent {
  enum class Kind { start, text, reasoning, tool_call, usage, finish } kind = Kind::text;
  std::string text;       // text / reasoning delta
  int index = 0;          // tool call index within the message
  std::string id, name;   // tool call id/name (first fragment of a call)
  std::string arguments;  // tool call arguments fragment
  Usage usage;
  StopReason stop = StopReason::stop;
  std::string stop_sequence;       // finish: the stop string that ended the reply, if one did
  std::string response_id, model;  // start
  std::vector<TokenLogprob> logprobs;  // text: one entry per token in this delta, when requested
  bool echo = false;                   // text: this delta repeats the prompt (completions echo)
};
// Returns false when the consumer went away; the producer then stops.
using StreamSink = std::function<bool(const StreamEvent&)>;

// Joins a stream back into one response (tool call fragments concatenated by index).
class Accumulator {
 public:
  void add(const StreamEvent& e);
  ChatResponse take();
  bool produced_content() const { return content_; }

 private:
  ChatResponse r_;
  bool content_ = false;
};

struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> input;
  std::string api_key_id;
};
struct EmbeddingResponse {
  std::string model;
  std::vector<std::vector<float>> vectors;
  Usage usage;
  RouteInfo route;
};

struct Capabilities {
  bool tools = true;
  bool json_mode = true;
  bool grammar = false;  // takes GBNF grammars (hearth's local engine)
  bool streaming = true;
  bool embeddings = false;
  bool vision = false;
  int64_t context_length = 0;  // 0 = unknown
};

struct ModelInfo {
  std::string id;
  std::string provider;
  std::string state;  // in-process models: "loaded" or "available" (loads when asked for)
};

// One error model for every provider.
enum class ErrorKind {
  auth, rate_limit, context_length, overloaded, bad_request, not_found, network, timeout, server,
  budget, refused, cancelled, unsupported
};
const char* error_kind_name(ErrorKind k);

class ProviderError : public Error {
 public:
  ProviderError(ErrorKind kind, const std::string& message, int http_status = 0,
                double retry_after_s = 0);
  ErrorKind kind() const { return kind_; }
  int http_status() const { return status_; }
  double retry_after() const { return retry_after_; }  // seconds; 0 = none given
  bool retryable() const;
  // The HTTP status the gateway answers with for this error.
  int gateway_status() const;
  // The request field at fault (OpenAI's error "param"); "" when not about one field.
  const std::string& param() const { return param_; }
  ProviderError& with_param(std::string p) {
    param_ = std::move(p);
    return *this;
  }

 private:
  ErrorKind kind_;
  std::string param_;
  int status_;
  double retry_after_;
};

// A bad_request about one request field: "'FIELD' WHAT", with the field as OpenAI's "param".
ProviderError bad_field(const std::string& field, const std::string& what);

// Maps an upstream HTTP status and error text to the error model.
ProviderError error_from_http(int status, const std::string& message, double retry_after_s);

// The string at o[key] of a request body: `fallback` when o is not an object or the key is
// absent or null; a bad_request naming `where.key` when the value has another type (json's own
// value() would throw a type error that is not a hearth::Error).
std::string string_field(const json& o, const char* key, const std::string& where, const std::string& fallback = "");

}  // namespace hearth::router
