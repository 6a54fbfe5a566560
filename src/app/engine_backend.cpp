#include "app/engine_backend.h"

#include <algorithm>
#include <atomic>

#include "app/harmony_stream.h"
#include "app/local_tools.h"
#include "app/output_grammar.h"
#include "app/reasoning_stream.h"
#include "gguf/summary.h"
#include "model/model.h"
#include "model/quant_mix.h"
#include "tokenizer/tokenizer.h"

namespace hearth::app {
namespace {

using router::ErrorKind;
using router::ProviderError;
using router::StreamEvent;


// Request fields override the engine's defaults only when the client set them.
sampling::Params sampling_params(std::optional<double> temperature, std::optional<double> top_p,
                                 const router::SamplingOptions& o) {
  sampling::Params p;
  if (temperature) p.temperature = static_cast<float>(*temperature);
  if (top_p) p.top_p = static_cast<float>(*top_p);
  if (o.top_k) p.top_k = *o.top_k;
  if (o.min_p) p.min_p = static_cast<float>(*o.min_p);
  if (o.typical_p) p.typical_p = static_cast<float>(*o.typical_p);
  if (o.repeat_penalty) p.repeat_penalty = static_cast<float>(*o.repeat_penalty);
  if (o.presence_penalty) p.presence_penalty = static_cast<float>(*o.presence_penalty);
  if (o.frequency_penalty) p.frequency_penalty = static_cast<float>(*o.frequency_penalty);
  if (o.seed) p.seed = *o.seed;
  p.logit_bias = o.logit_bias;
  return p;
}

router::StopReason stop_reason(engine::FinishReason f) {
  switch (f) {
    case engine::FinishReason::stop: return router::StopReason::stop;
    case engine::FinishReason::length:
    case engine::FinishReason::context_full: return router::StopReason::length;
    case engine::FinishReason::cancelled: return router::StopReason::unknown;
  }
  return router::StopReason::unknown;
}

std::vector<router::TokenLogprob> to_logprobs(const tokenizer::Tokenizer& tok, const std::vector<engine::TokenProb>& in) {
  std::vector<router::TokenLogprob> out;
  out.reserve(in.size());
  for (const auto& p : in) {
    router::TokenLogprob t;
    t.token = tok.token_to_piece(p.id);
    t.logprob = p.logprob;
    t.has_logprob = p.has_logprob;
    for (const auto& [id, lp] : p.top) t.top.push_back({tok.token_to_piece(id), lp});
    out.push_back(std::move(t));
  }
  return out;
}

std::string parameter_size(int64_t n) {
  char buf[32];
  if (n >= 1000000000) std::snprintf(buf, sizeof buf, "%.1fB", n / 1e9);
  else if (n >= 1000000) std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
  else std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
  return buf;
}

}  // namespace

ProviderError provider_error(const Error& e) {
  switch (e.code()) {
    case Errc::overloaded: return ProviderError(ErrorKind::overloaded, e.what(), 503, 1.0);
    case Errc::out_of_range: return ProviderError(ErrorKind::context_length, e.what(), 400);
    case Errc::invalid_argument:
    case Errc::format: return ProviderError(ErrorKind::bad_request, e.what(), 400);
    case Errc::unsupported: return ProviderError(ErrorKind::unsupported, e.what(), 400);
    case Errc::cancelled: return ProviderError(ErrorKind::cancelled, e.what());
    default: return ProviderError(ErrorKind::server, e.what(), 500);
  }
}

EngineBackend::EngineBackend(std::shared_ptr<engine::Scheduler> sched, std::string name, std::string chat_template,
                             std::string system)
    : sched_(std::move(sched)),
      name_(std::move(name)),
      system_(std::move(system)),
      formatter_(sched_->model().file(), sched_->tokenizer(), std::move(chat_template)) {
  const auto& tok = sched_->tokenizer();
  for (const auto& text : engine::tool_marker_tokens(formatter_.tool_syntax()))
    if (const int32_t id = tok.find_token(text); id >= 0 && tok.is_control(id)) marker_tokens_.push_back(id);
}

void EngineBackend::check_model(const std::string& model) const {
  if (!model.empty() && model != name_)
    throw ProviderError(ErrorKind::not_found, "model '" + model + "' is not loaded (this server runs '" + name_ + "')", 404);
}

router::Capabilities EngineBackend::capabilities(const std::string&) {
  router::Capabilities c;
  c.tools = true;
  c.json_mode = true;  // grammar-constrained sampling
  c.grammar = true;
  c.streaming = true;
  c.embeddings = true;
  c.context_length = sched_->slot_ctx();
  return c;
}

void EngineBackend::run(engine::GenRequest gen, const router::StreamSink& sink, const std::string* echo_text) {
  std::shared_ptr<engine::Job> job;
  try {
    job = sched_->submit(std::move(gen));
  } catch (const Error& e) {
    throw provider_error(e);
  }
  const auto& tok = sched_->tokenizer();
  StreamEvent start;
  start.kind = StreamEvent::Kind::start;
  start.response_id = "hearth-" + std::to_string(++next_id_);
  start.model = name_;
  if (!sink(start)) {
    job->cancel();
    return;
  }
  // Echoed prompt logprobs arrive in chunks; they go out as one echo event before the output.
  StreamEvent echo;
  echo.kind = StreamEvent::Kind::text;
  echo.echo = true;
  bool echo_sent = echo_text == nullptr;
  auto send_echo = [&] {
    if (echo_sent) return true;
    echo_sent = true;
    echo.text = *echo_text;
    // A tokenizer that prefixes a space (SPM) puts it in the first piece; decoding drops it, and so
    // must the echoed pieces, or they would not spell the prompt they echo.
    if (tok.vocab().add_space_prefix)
      for (auto& t : echo.logprobs)
        if (!t.token.empty()) {
          if (t.token[0] == ' ') t.token.erase(0, 1);
          break;
        }
    return sink(echo);
  };

  engine::GenEvent e;
  while (job->next(e)) {
    if (e.kind == engine::GenEvent::Kind::error) throw provider_error(Error(e.error_code, e.error));
    if (e.kind == engine::GenEvent::Kind::text) {
      if (e.echo) {
        auto lp = to_logprobs(tok, e.probs);
        echo.logprobs.insert(echo.logprobs.end(), lp.begin(), lp.end());
        continue;
      }
      StreamEvent t;
      t.kind = StreamEvent::Kind::text;
      t.text = std::move(e.text);
      t.logprobs = to_logprobs(tok, e.probs);
      if (t.text.empty() && t.logprobs.empty()) continue;
      if (!send_echo() || !sink(t)) {
        job->cancel();  // the client went away: free the slot now
        return;
      }
      continue;
    }
    // done
    if (!send_echo()) return;
    StreamEvent u;
    u.kind = StreamEvent::Kind::usage;
    u.usage.input_tokens = e.stats.prompt_tokens;
    u.usage.output_tokens = e.stats.completion_tokens;
    u.usage.cached_tokens = e.stats.cached_tokens;
    if (!sink(u)) return;
    StreamEvent f;
    f.kind = StreamEvent::Kind::finish;
    f.stop = stop_reason(e.finish);
    f.stop_sequence = e.stop_sequence;
    sink(f);
  }
}

void EngineBackend::chat_stream(const router::ChatRequest& req, const router::StreamSink& sink) {
  check_model(req.model);
  if (req.messages.empty()) throw ProviderError(ErrorKind::bad_request, "messages must not be empty", 400);
  const auto tools = engine_tools(req.tools);
  const engine::ToolChoice choice = engine_tool_choice(req);
  const bool calls = !tools.empty() && choice.mode != engine::ToolMode::none;
  if (calls && req.format.constrained())
    throw router::bad_field(req.format.field.empty() ? "response_format" : req.format.field,
                            "cannot be combined with tools on a local model (set tool_choice to \"none\" for a "
                            "formatted answer)");
  engine::GenRequest gen;
  std::string prompt;
  try {
    prompt = formatter_.render(messages_for(req), true, {tools, req.thinking, req.reasoning_effort});
  } catch (const Error& e) {
    throw ProviderError(ErrorKind::bad_request, std::string("chat template: ") + e.what(), 400);
  }
  gen.prompt = formatter_.encode(prompt);
  gen.max_tokens = req.max_tokens.value_or(-1);
  gen.sampling = sampling_params(req.temperature, req.top_p, req.sampling);
  gen.stop = req.stop;
  gen.logprobs = req.sampling.logprobs;
  gen.top_logprobs = req.sampling.top_logprobs;
  gen.grammar = output_grammar(req.format);
  // Events go: engine -> <think> split (templates with reasoning) or harmony channels -> tool-call
  // parsing -> caller.
  router::StreamSink out = sink;
  std::optional<ToolCallStream> tool_stream;
  if (calls) {
    const engine::ToolGrammar tg = engine::tool_call_grammar(formatter_.tool_syntax(), tools, choice);
    gen.grammar = sampling::Grammar::parse(tg.gbnf);
    gen.grammar_triggers = tg.triggers;
    gen.text_tokens = marker_tokens_;
    tool_stream.emplace(formatter_.tool_syntax(), tools, out);
    out = [&](const StreamEvent& e) { return (*tool_stream)(e); };
  }
  std::optional<ReasoningStream> reasoning;
  std::optional<HarmonyStream> harmony;
  if (formatter_.tool_syntax() == engine::ToolSyntax::harmony) {
    harmony.emplace(calls, out);
    out = [&](const StreamEvent& e) { return (*harmony)(e); };
  } else if (formatter_.has_reasoning()) {
    reasoning.emplace(engine::prompt_opens_reasoning(prompt), out);
    out = [&](const StreamEvent& e) { return (*reasoning)(e); };
  }
  run(std::move(gen), out, nullptr);
}

void EngineBackend::completion_stream(const router::CompletionRequest& req, const router::StreamSink& sink) {
  check_model(req.model);
  engine::GenRequest gen;
  gen.prompt = sched_->tokenizer().encode(req.prompt, true, false);
  if (gen.prompt.empty()) throw ProviderError(ErrorKind::bad_request, "the prompt is empty", 400);
  gen.max_tokens = req.max_tokens.value_or(16);  // OpenAI's default for completions
  gen.sampling = sampling_params(req.temperature, req.top_p, req.sampling);
  gen.stop = req.stop;
  gen.logprobs = req.sampling.logprobs;
  gen.top_logprobs = req.sampling.top_logprobs;
  gen.echo = req.echo;
  gen.grammar = output_grammar(req.format);
  run(std::move(gen), sink, req.echo ? &req.prompt : nullptr);
}

router::EmbeddingResponse EngineBackend::embed(const router::EmbeddingRequest& req) {
  check_model(req.model);
  if (req.input.empty()) throw ProviderError(ErrorKind::bad_request, "input must not be empty", 400);
  router::EmbeddingResponse out;
  out.model = name_;
  // Submit all inputs first so they queue together, then collect in order.
  std::vector<std::shared_ptr<engine::Job>> jobs;
  for (const auto& text : req.input) {
    engine::GenRequest gen;
    gen.embedding = true;
    gen.prompt = sched_->tokenizer().encode(text, true, false);
    if (gen.prompt.empty()) throw ProviderError(ErrorKind::bad_request, "an input is empty", 400);
    try {
      jobs.push_back(sched_->submit(std::move(gen)));
    } catch (const Error& e) {
      for (auto& j : jobs) j->cancel();
      throw provider_error(e);
    }
  }
  for (auto& j : jobs) {
    engine::GenEvent e;
    while (j->next(e)) {
      if (e.kind == engine::GenEvent::Kind::error) throw provider_error(Error(e.error_code, e.error));
      if (e.kind == engine::GenEvent::Kind::done) {
        out.vectors.push_back(std::move(e.embedding));
        out.usage.input_tokens += e.stats.prompt_tokens;
      }
    }
  }
  return out;
}

std::vector<engine::ChatMessage> EngineBackend::messages_for(const router::ChatRequest& req) const {
  auto msgs = engine_messages(req.messages);
  if (!system_.empty() && std::none_of(msgs.begin(), msgs.end(), [](const engine::ChatMessage& m) { return m.role == "system"; }))
    msgs.insert(msgs.begin(), engine::ChatMessage{"system", system_});
  return msgs;
}

int64_t EngineBackend::count_tokens(const router::ChatRequest& req) {
  check_model(req.model);
  try {
    return static_cast<int64_t>(
        formatter_.tokenize(messages_for(req), true, {engine_tools(req.tools), req.thinking, req.reasoning_effort}).size());
  } catch (const Error& e) {
    throw ProviderError(ErrorKind::bad_request, std::string("chat template: ") + e.what(), 400);
  }
}

json EngineBackend::show(const std::string& model) {
  check_model(model);
  const auto& m = sched_->model();
  const auto& f = m.file();
  int64_t params = 0;
  for (const auto& t : f.tensors()) params += t.n_elements();
  json j;
  j["name"] = name_;
  j["format"] = "gguf";
  j["architecture"] = f.architecture();
  j["family"] = f.architecture();
  j["parameter_count"] = params;
  j["parameter_size"] = parameter_size(params);
  // general.file_type is an integer in every GGUF writer's output; its name is what Ollama shows.
  if (const gguf::Value* v = f.find("general.file_type"); v && v->is_integer()) j["file_type"] = v->as_int();
  j["quantization"] = model::file_type_label(f);
  j["context_length"] = m.hparams().n_ctx_train;
  j["context_per_slot"] = sched_->slot_ctx();
  j["embedding_length"] = m.hparams().n_embd;
  j["template"] = f.get_string("tokenizer.chat_template", "");
  j["metadata"] = gguf::summarize(f, {.tensors = false, .max_array_items = 8})["metadata"];
  return j;
}

}  // namespace hearth::app
