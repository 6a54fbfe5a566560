#include "router/gateway_parse.h"

#include <cmath>

#include "core/utf8.h"
#include "router/output_format.h"
#include "router/wire_openai.h"

namespace hearth::router {
namespace {

bool has(const json& j, const char* k) { return j.contains(k) && !j[k].is_null(); }

std::optional<double> number(const json& j, const char* k, double lo, double hi) {
  if (!has(j, k)) return std::nullopt;
  if (!j[k].is_number()) throw bad_field(k, "must be a number");
  double v = j[k].get<double>();
  if (!(v >= lo && v <= hi)) throw bad_field(k, "must be between " + json(lo).dump() + " and " + json(hi).dump());
  return v;
}

std::optional<int64_t> integer(const json& j, const char* k, int64_t lo, int64_t hi) {
  if (!has(j, k)) return std::nullopt;
  if (!j[k].is_number_integer()) throw bad_field(k, "must be an integer");
  if (j[k].is_number_unsigned() && j[k].get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) throw bad_field(k, "is out of range");
  int64_t v = j[k].get<int64_t>();
  if (v < lo || v > hi) throw bad_field(k, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return v;
}

bool boolean(const json& j, const char* k, bool fallback) {
  if (!has(j, k)) return fallback;
  if (!j[k].is_boolean()) throw bad_field(k, "must be a boolean");
  return j[k].get<bool>();
}

std::string require_model(const json& j) {
  if (!j.is_object()) throw ProviderError(ErrorKind::bad_request, "request body must be a JSON object");
  if (!has(j, "model")) throw bad_field("model", "is required");
  if (!j["model"].is_string()) throw bad_field("model", "must be a string");
  if (j["model"].get<std::string>().empty()) throw bad_field("model", "must not be empty");
  return j["model"];
}

std::vector<std::string> stop_list(const json& j) {
  std::vector<std::string> out;
  if (!has(j, "stop")) return out;
  const auto& s = j["stop"];
  if (s.is_string()) {
    out.push_back(s);
  } else if (s.is_array()) {
    if (s.size() > 16) throw bad_field("stop", "may hold at most 16 sequences");
    for (const auto& x : s) {
      if (!x.is_string()) throw bad_field("stop", "must be a string or an array of strings");
      out.push_back(x);
    }
  } else {
    throw bad_field("stop", "must be a string or an array of strings");
  }
  return out;
}

// OpenAI's core samplers plus hearth's extras, shared by chat and completions.
void sampling(const json& j, SamplingOptions& s) {
  if (auto v = integer(j, "seed", INT64_MIN, INT64_MAX)) s.seed = static_cast<uint64_t>(*v);
  s.presence_penalty = number(j, "presence_penalty", -2, 2);
  s.frequency_penalty = number(j, "frequency_penalty", -2, 2);
  if (auto v = integer(j, "top_k", 0, 1 << 20); v && *v > 0) s.top_k = static_cast<int>(*v);
  s.min_p = number(j, "min_p", 0, 1);
  s.typical_p = number(j, "typical_p", 0, 1);
  s.repeat_penalty = number(j, "repeat_penalty", 0, 10);
  if (has(j, "logit_bias")) {
    const auto& b = j["logit_bias"];
    if (!b.is_object()) throw bad_field("logit_bias", "must be an object of token id -> bias");
    if (b.size() > 1024) throw bad_field("logit_bias", "may hold at most 1024 entries");
    for (const auto& [k, v] : b.items()) {
      char* end = nullptr;
      errno = 0;
      long id = std::strtol(k.c_str(), &end, 10);
      if (k.empty() || *end != '\0' || errno != 0 || id < 0 || id > INT32_MAX)
        throw bad_field("logit_bias", "key '" + k + "' is not a token id");
      if (!v.is_number() || !(v.get<double>() >= -100 && v.get<double>() <= 100))
        throw bad_field("logit_bias", "bias for token " + k + " must be a number between -100 and 100");
      s.logit_bias.emplace_back(static_cast<int32_t>(id), v.get<float>());
    }
  }
}

void n_is_one(const json& j) {
  if (auto n = integer(j, "n", INT64_MIN, INT64_MAX); n && *n != 1) throw bad_field("n", "must be 1 (hearth returns one choice)");
  if (auto n = integer(j, "best_of", INT64_MIN, INT64_MAX); n && *n != 1) throw bad_field("best_of", "must be 1");
}

bool include_usage(const json& j) {
  if (!has(j, "stream_options")) return false;
  const auto& o = j["stream_options"];
  if (!o.is_object()) throw bad_field("stream_options", "must be an object");
  if (has(o, "include_usage") && !o["include_usage"].is_boolean()) throw bad_field("stream_options.include_usage", "must be a boolean");
  return o.value("include_usage", false);
}

}  // namespace

json parse_request_body(std::string_view body) {
  if (auto bad = utf8::find_invalid(body))
    throw ProviderError(ErrorKind::bad_request, "request body is not valid UTF-8 (byte " + std::to_string(*bad) + ")");
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    // nlohmann's message names the byte and what it expected.
    throw ProviderError(ErrorKind::bad_request, std::string("malformed JSON: ") + e.what());
  }
}

void parse_memory_flag(const json& j, ChatRequest& req) {
  if (j.is_object() && has(j, "hearth_memory")) req.use_memory = boolean(j, "hearth_memory", false);
}

OpenAIChat parse_openai_chat(const json& j) {
  require_model(j);
  if (!has(j, "messages")) throw bad_field("messages", "is required");
  if (!j["messages"].is_array()) throw bad_field("messages", "must be an array");
  if (j["messages"].empty()) throw bad_field("messages", "must not be empty");
  if (has(j, "tools") && !j["tools"].is_array()) throw bad_field("tools", "must be an array");
  if (has(j, "tool_choice") && !j["tool_choice"].is_string() && !j["tool_choice"].is_object())
    throw bad_field("tool_choice", "must be a string or an object");
  if (has(j, "response_format") && !j["response_format"].is_object()) throw bad_field("response_format", "must be an object");
  OpenAIChat out;
  out.req = openai::request_from_json(j);
  auto& r = out.req;
  r.max_tokens.reset();
  if (auto v = integer(j, "max_completion_tokens", 1, 1 << 24)) r.max_tokens = static_cast<int>(*v);
  else if (auto w = integer(j, "max_tokens", 1, 1 << 24)) r.max_tokens = static_cast<int>(*w);
  r.temperature = number(j, "temperature", 0, 2);
  r.top_p = number(j, "top_p", 0, 1);
  r.stop = stop_list(j);
  n_is_one(j);
  sampling(j, r.sampling);
  r.sampling.logprobs = boolean(j, "logprobs", false);
  if (auto v = integer(j, "top_logprobs", 0, 20)) {
    if (!r.sampling.logprobs && *v > 0) throw bad_field("top_logprobs", "requires 'logprobs': true");
    r.sampling.top_logprobs = static_cast<int>(*v);
  }
  out.stream = boolean(j, "stream", false);
  out.include_usage = include_usage(j);
  parse_memory_flag(j, r);
  return out;
}

OpenAICompletion parse_openai_completion(const json& j) {
  OpenAICompletion out;
  auto& r = out.req;
  r.model = require_model(j);
  if (!has(j, "prompt")) throw bad_field("prompt", "is required");
  const auto& p = j["prompt"];
  if (p.is_string()) {
    r.prompt = p;
  } else if (p.is_array()) {
    if (p.size() != 1 || !p[0].is_string())
      throw bad_field("prompt", "must be a string or an array of exactly one string (token arrays and batches are not supported)");
    r.prompt = p[0];
  } else {
    throw bad_field("prompt", "must be a string");
  }
  r.echo = boolean(j, "echo", false);
  if (auto v = integer(j, "max_tokens", 0, 1 << 24)) r.max_tokens = static_cast<int>(*v);
  if (r.max_tokens == 0 && !r.echo) throw bad_field("max_tokens", "may be 0 only with 'echo': true");
  r.temperature = number(j, "temperature", 0, 2);
  r.top_p = number(j, "top_p", 0, 1);
  r.stop = stop_list(j);
  n_is_one(j);
  sampling(j, r.sampling);
  r.format = openai_output_format(j);
  if (auto v = integer(j, "logprobs", 0, 20)) {
    r.sampling.logprobs = true;
    r.sampling.top_logprobs = static_cast<int>(*v);
  }
  if (has(j, "suffix")) throw bad_field("suffix", "is not supported");
  out.stream = boolean(j, "stream", false);
  out.include_usage = include_usage(j);
  return out;
}

static void inputs(const json& v, const char* field, std::vector<std::string>& out) {
  if (v.is_string()) {
    out.push_back(v);
    return;
  }
  if (!v.is_array() || v.empty()) throw bad_field(field, "must be a string or a non-empty array of strings");
  if (v.size() > 2048) throw bad_field(field, "may hold at most 2048 inputs");
  for (const auto& s : v) {
    if (!s.is_string()) throw bad_field(field, "must be a string or an array of strings (token arrays are not supported)");
    out.push_back(s);
  }
}

EmbeddingCall parse_openai_embeddings(const json& j) {
  EmbeddingCall out;
  out.req.model = require_model(j);
  if (!has(j, "input")) throw bad_field("input", "is required");
  inputs(j["input"], "input", out.req.input);
  if (has(j, "encoding_format")) {
    const auto& f = j["encoding_format"];
    if (f != "float" && f != "base64") throw bad_field("encoding_format", "must be \"float\" or \"base64\"");
    out.base64 = f == "base64";
  }
  if (has(j, "dimensions")) throw bad_field("dimensions", "is not supported");
  return out;
}

EmbeddingCall parse_ollama_embed(const json& j, bool legacy) {
  EmbeddingCall out;
  out.req.model = require_model(j);
  const char* field = legacy ? "prompt" : "input";
  if (!has(j, field)) throw bad_field(field, "is required");
  if (legacy && !j[field].is_string()) throw bad_field(field, "must be a string");
  inputs(j[field], field, out.req.input);
  return out;
}

}  // namespace hearth::router
