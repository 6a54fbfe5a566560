// What an evaluation asks of a model, whoever serves it: the log-likelihood of a continuation
// after a context, the log-likelihood of a whole text (perplexity), and generation until a stop
// string. LocalBackend answers from the engine's logits; RemoteBackend through the router.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "model/model.h"
#include "eval/task.h"

namespace hearth::eval {

struct LoglikelihoodRequest {
  std::string context, continuation;
  bool chat = false;  // context is a prompt rendered by render_chat (special tokens, template's BOS)
};
struct LoglikelihoodResult {
  double logprob = 0;      // sum over the continuation's tokens
  bool is_greedy = false;  // every continuation token was the argmax
  int n_tokens = 0;
};

// loglikelihood_rolling: lm_eval's disjoint windows, or llama-perplexity's chunks.
struct RollingOptions {
  std::string method = "lm_eval";
  int context = 0;  // tokens per window/chunk; 0: the backend's context
  // Called as windows finish (tokens scored so far, tokens in all): one WikiText-2 document is
  // minutes of work, and a run should show it moving. Not part of a request's identity.
  std::function<void(int64_t done, int64_t total)> progress;
};
struct RollingResult {
  double logprob = 0;   // sum over scored tokens
  int64_t n_tokens = 0; // tokens scored
  double sum_sq = 0;    // sum of squared per-token NLL (for the token-level stderr)
};

struct GenerateRequest {
  std::string context;
  GenerationKwargs kwargs;
  uint64_t seed = 0;  // for sampled repeats
  bool chat = false;  // send as a chat: `system` (when not empty) and the context as the user message
  std::string system;
};

// Called as each request finishes (index into the batch and its result), from the calling
// thread or a worker, one call at a time.
using OnLoglikelihood = std::function<void(size_t index, const LoglikelihoodResult&)>;
using OnGenerated = std::function<void(size_t index, const std::string&)>;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string id() const = 0;  // "local:FILE" / "provider:model": the cache key's model part
  virtual bool supports_loglikelihood() const = 0;
  // Why loglikelihood is unavailable (for the error message).
  virtual std::string loglikelihood_unavailable_reason() const { return {}; }
  virtual std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& reqs,
                                                         const OnLoglikelihood& done) = 0;
  virtual RollingResult loglikelihood_rolling(const std::string& text, const RollingOptions& opt) = 0;
  virtual std::vector<std::string> generate(const std::vector<GenerateRequest>& reqs, const OnGenerated& done) = 0;
  // The model's chat template applied to a system message (omitted when empty) and one user
  // message, ending where the assistant's reply begins; nullopt when this backend cannot render
  // it (a remote endpoint applies its own template, unseen).
  virtual std::optional<std::string> render_chat(const std::string& system, const std::string& user) { return std::nullopt; }
  // Facts recorded in the results' config (model file, context, threads...).
  virtual json describe() const { return json::object(); }
};

struct BackendOptions {
  int n_threads = 0;
  int64_t n_ctx = 0;
  int concurrency = 1;
  bool prefix_reuse = true;   // local: reuse the KV cache across requests sharing a prefix
  std::string router_config;  // remote: router YAML (default $HEARTH_HOME/router.yaml)
  std::string base_url;       // remote: an OpenAI-compatible URL instead of a router config
  std::string api_key_env;    // remote with base_url: env var holding the key
  model::LoadOptions load;    // local: ISA path and weight layout
};

// "local:FILE.gguf" or "provider:model" (routed). Throws Error(invalid_argument) for others.
std::unique_ptr<Backend> make_backend(const std::string& model, const BackendOptions& opts);

}  // namespace hearth::eval
