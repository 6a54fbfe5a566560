#include "router/output_format.h"
#include "router/wire_ollama.h"

#include <cctype>

#include <chrono>
#include <ctime>

#include "core/clock.h"
#include "router/wire_logprobs.h"

namespace hearth::router::ollama {
namespace {

std::string now_iso() { return utc_now_text(); }

json calls_json(const std::vector<ToolCall>& calls) {
  json a = json::array();
  for (const auto& c : calls) {
    json args = json::parse(c.arguments.empty() ? "{}" : c.arguments, nullptr, false);
    if (args.is_discarded()) args = json::object();
    a.push_back({{"function", {{"name", c.name}, {"arguments", args}}}});
  }
  return a;
}

const char* done_reason(StopReason r) { return r == StopReason::length ? "length" : "stop"; }

}  // namespace

json request_to_json(const ChatRequest& req, bool stream) {
  json msgs = json::array();
  for (const auto& m : req.messages) {
    json j = {{"role", role_name(m.role)}, {"content", m.content}};
    if (!m.tool_calls.empty()) j["tool_calls"] = calls_json(m.tool_calls);
    if (m.role == Role::tool && !m.name.empty()) j["tool_name"] = m.name;
    msgs.push_back(std::move(j));
  }
  json j = {{"model", req.model}, {"messages", msgs}, {"stream", stream}};
  if (!req.tools.empty()) {
    json tools = json::array();
    for (const auto& t : req.tools)
      tools.push_back({{"type", "function"}, {"function", {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}});
    j["tools"] = tools;
  }
  add_options(req.max_tokens, req.temperature, req.top_p, req.stop, req.sampling, j);
  if (req.format.json) j["format"] = req.format.schema.is_null() ? json("json") : json::parse(req.format.schema.dump());
  return j;
}

void add_options(std::optional<int> max_tokens, std::optional<double> temperature, std::optional<double> top_p,
                 const std::vector<std::string>& stop, const SamplingOptions& s, json& j) {
  json opts = json::object();
  if (max_tokens) opts["num_predict"] = *max_tokens;
  if (temperature) opts["temperature"] = *temperature;
  if (top_p) opts["top_p"] = *top_p;
  if (!stop.empty()) opts["stop"] = stop;
  if (s.seed) opts["seed"] = *s.seed;
  if (s.top_k) opts["top_k"] = *s.top_k;
  if (s.min_p) opts["min_p"] = *s.min_p;
  if (s.typical_p) opts["typical_p"] = *s.typical_p;
  if (s.repeat_penalty) opts["repeat_penalty"] = *s.repeat_penalty;
  if (s.presence_penalty) opts["presence_penalty"] = *s.presence_penalty;
  if (s.frequency_penalty) opts["frequency_penalty"] = *s.frequency_penalty;
  if (!opts.empty()) j["options"] = opts;
  if (s.logprobs) {
    j["logprobs"] = true;
    if (s.top_logprobs > 0) j["top_logprobs"] = s.top_logprobs;
  }
}

json generate_request_to_json(const CompletionRequest& req, bool stream) {
  json j = {{"model", req.model}, {"prompt", req.prompt}, {"raw", true}, {"stream", stream}};
  add_options(req.max_tokens, req.temperature, req.top_p, req.stop, req.sampling, j);
  return j;
}

namespace {

std::optional<double> opt_number(const json& o, const char* k, const std::string& where) {
  if (!o.contains(k) || o[k].is_null()) return std::nullopt;
  if (!o[k].is_number()) throw bad_field(where + k, "must be a number");
  return o[k].get<double>();
}

std::optional<int64_t> opt_int(const json& o, const char* k, const std::string& where) {
  if (!o.contains(k) || o[k].is_null()) return std::nullopt;
  if (!o[k].is_number_integer()) throw bad_field(where + k, "must be an integer");
  return o[k].get<int64_t>();
}

}  // namespace

double parse_keep_alive(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) throw bad_field("keep_alive", "must be a number of seconds or a duration like \"5m\"");
  const std::string s = v.get<std::string>();
  if (s.empty()) throw bad_field("keep_alive", "must not be empty");
  size_t i = 0;
  const bool neg = s[0] == '-';
  if (neg || s[0] == '+') ++i;
  double total = 0;
  bool any = false;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i) throw bad_field("keep_alive", "'" + s + "' is not a duration (e.g. 30s, 5m, 1h)");
    const double n = std::stod(s.substr(i, j - i));
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    const std::string unit = s.substr(j, k - j);
    double mult;
    if (unit.empty() || unit == "s") mult = 1;
    else if (unit == "ms") mult = 1e-3;
    else if (unit == "us" || unit == "µs") mult = 1e-6;
    else if (unit == "ns") mult = 1e-9;
    else if (unit == "m") mult = 60;
    else if (unit == "h") mult = 3600;
    else throw bad_field("keep_alive", "unknown unit '" + unit + "' in '" + s + "'");
    total += n * mult;
    any = true;
    i = k;
  }
  if (!any) throw bad_field("keep_alive", "'" + s + "' is not a duration");
  return neg ? -total : total;
}

void parse_options(const json& j, Sampled& out) {
  if (j.contains("keep_alive") && !j["keep_alive"].is_null()) out.keep_alive_s = parse_keep_alive(j["keep_alive"]);
  if (j.contains("format") && !j["format"].is_null()) {
    out.format = ollama_output_format(j["format"]);
  }
  if (j.contains("logprobs") && !j["logprobs"].is_null()) {
    if (!j["logprobs"].is_boolean()) throw bad_field("logprobs", "must be a boolean");
    out.sampling.logprobs = j["logprobs"].get<bool>();
  }
  if (auto n = opt_int(j, "top_logprobs", "")) {
    if (*n < 0 || *n > 20) throw bad_field("top_logprobs", "must be between 0 and 20");
    out.sampling.top_logprobs = static_cast<int>(*n);
  }
  if (!j.contains("options") || j["options"].is_null()) return;
  const auto& o = j["options"];
  if (!o.is_object()) throw bad_field("options", "must be an object");
  const std::string w = "options.";
  if (auto n = opt_int(o, "num_predict", w)) {
    if (*n > 1 << 24) throw bad_field("options.num_predict", "is too large");
    if (*n >= 0) out.max_tokens = static_cast<int>(*n);  // -1 (unbounded) and -2 (fill context): no cap
  }
  out.temperature = opt_number(o, "temperature", w);
  out.top_p = opt_number(o, "top_p", w);
  if (auto n = opt_int(o, "top_k", w)) {
    if (*n < 0 || *n > 1 << 20) throw bad_field("options.top_k", "is out of range");
    if (*n > 0) out.sampling.top_k = static_cast<int>(*n);
  }
  out.sampling.min_p = opt_number(o, "min_p", w);
  out.sampling.typical_p = opt_number(o, "typical_p", w);
  out.sampling.repeat_penalty = opt_number(o, "repeat_penalty", w);
  out.sampling.presence_penalty = opt_number(o, "presence_penalty", w);
  out.sampling.frequency_penalty = opt_number(o, "frequency_penalty", w);
  if (auto n = opt_int(o, "seed", w)) out.sampling.seed = static_cast<uint64_t>(*n);
  if (o.contains("stop") && !o["stop"].is_null()) {
    const auto& st = o["stop"];
    if (st.is_string()) out.stop.push_back(st);
    else if (st.is_array()) {
      for (const auto& x : st) {
        if (!x.is_string()) throw bad_field("options.stop", "must be an array of strings");
        out.stop.push_back(x);
      }
    } else {
      throw bad_field("options.stop", "must be an array of strings");
    }
  }
  // num_ctx, num_thread, num_gpu, mirostat...: the server decides these; accepted and ignored.
}

static bool read_stream_flag(const json& j) {
  if (!j.contains("stream") || j["stream"].is_null()) return true;  // Ollama streams by default
  if (!j["stream"].is_boolean()) throw bad_field("stream", "must be a boolean");
  return j["stream"].get<bool>();
}

static std::string read_model(const json& j) {
  if (!j.is_object()) throw ProviderError(ErrorKind::bad_request, "request body must be a JSON object");
  if (!j.contains("model") || j["model"].is_null()) throw bad_field("model", "is required");
  if (!j["model"].is_string()) throw bad_field("model", "must be a string");
  if (j["model"].get<std::string>().empty()) throw bad_field("model", "must not be empty");
  return j["model"];
}

static std::string opt_string(const json& j, const char* k) {
  if (!j.contains(k) || j[k].is_null()) return "";
  if (!j[k].is_string()) throw bad_field(k, "must be a string");
  return j[k];
}

static void apply(const Sampled& s, ChatRequest& r) {
  r.max_tokens = s.max_tokens;
  r.temperature = s.temperature;
  r.top_p = s.top_p;
  r.stop = s.stop;
  r.format = s.format;
  r.sampling = s.sampling;
  r.keep_alive_s = s.keep_alive_s;
}

ChatRequest request_from_json(const json& j, bool* stream) {
  ChatRequest r;
  r.model = read_model(j);
  *stream = read_stream_flag(j);
  if (!j.contains("messages") || !j["messages"].is_array()) throw bad_field("messages", "is required and must be an array");
  size_t i = 0;
  for (const auto& m : j["messages"]) {
    std::string where = "messages[" + std::to_string(i++) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) throw bad_field(where + ".role", "is required");
    Message msg;
    msg.role = parse_role(m["role"]);
    if (m.contains("content") && !m["content"].is_null()) {
      if (!m["content"].is_string()) throw bad_field(where + ".content", "must be a string");
      msg.content = m["content"];
    }
    if (m.contains("thinking") && m["thinking"].is_string()) msg.reasoning = m["thinking"];
    if (m.contains("images") && m["images"].is_array() && !m["images"].empty()) r.image_inputs.push_back(where + ".images");
    if (m.contains("tool_name") && m["tool_name"].is_string()) msg.name = m["tool_name"];
    if (m.contains("tool_calls") && m["tool_calls"].is_array())
      for (const auto& c : m["tool_calls"]) {
        if (!c.is_object() || !c.contains("function") || !c["function"].is_object())
          throw bad_field(where + ".tool_calls", "each needs a function object");
        const auto& f = c["function"];
        std::string name = f.contains("name") && f["name"].is_string() ? f["name"].get<std::string>() : "";
        msg.tool_calls.push_back({"", name, f.contains("arguments") ? f["arguments"].dump() : "{}"});
      }
    r.messages.push_back(std::move(msg));
  }
  if (j.contains("tools") && !j["tools"].is_null()) {
    if (!j["tools"].is_array()) throw bad_field("tools", "must be an array");
    for (const auto& t : j["tools"]) {
      if (!t.is_object() || !t.contains("function") || !t["function"].is_object()) throw bad_field("tools", "each needs a function object");
      const auto& f = t["function"];
      if (!f.contains("name") || !f["name"].is_string()) throw bad_field("tools", "function.name is required");
      r.tools.push_back({f["name"], f.contains("description") && f["description"].is_string() ? f["description"].get<std::string>() : "",
                         f.contains("parameters") ? f["parameters"] : json::object()});
    }
  }
  // think: true/false, or an effort ("low", "medium", "high") for models that take one.
  if (j.contains("think") && !j["think"].is_null()) {
    const json& t = j["think"];
    if (t.is_boolean()) {
      r.thinking = t.get<bool>();
    } else if (t == "low" || t == "medium" || t == "high") {
      r.thinking = true;
      r.reasoning_effort = t.get<std::string>();
    } else {
      throw bad_field("think", "must be a boolean or \"low\", \"medium\", \"high\"");
    }
  }
  // Not in Ollama's API (its models choose for themselves): hearth takes OpenAI's tool_choice here
  // too, so a client can insist on a call.
  if (j.contains("tool_choice") && !j["tool_choice"].is_null()) {
    const auto& tc = j["tool_choice"];
    if (tc.is_object() && tc.contains("function") && tc["function"].is_object())
      r.tool_choice = {{"name", string_field(tc["function"], "name", "tool_choice.function")}};
    else if (tc.is_string() || tc.is_object()) r.tool_choice = tc;
    else throw bad_field("tool_choice", "must be a string or an object");
  }
  Sampled s;
  parse_options(j, s);
  apply(s, r);
  return r;
}

Generate generate_from_json(const json& j) {
  Generate g;
  g.model = read_model(j);
  g.stream = read_stream_flag(j);
  g.prompt = opt_string(j, "prompt");
  g.system = opt_string(j, "system");
  g.images = j.contains("images") && j["images"].is_array() && !j["images"].empty();
  if (j.contains("raw") && !j["raw"].is_null()) {
    if (!j["raw"].is_boolean()) throw bad_field("raw", "must be a boolean");
    g.raw = j["raw"].get<bool>();
  }
  parse_options(j, g.options);
  return g;
}

ChatRequest Generate::chat() const {
  ChatRequest r;
  r.model = model;
  if (!system.empty()) r.messages.push_back({Role::system, system});
  r.messages.push_back({Role::user, prompt});
  if (images) r.image_inputs.push_back("images");
  apply(options, r);
  return r;
}

CompletionRequest Generate::completion() const {
  CompletionRequest r;
  r.model = model;
  r.prompt = prompt;  // raw: no template, so no system prompt either (as in Ollama)
  r.max_tokens = options.max_tokens;
  r.temperature = options.temperature;
  r.top_p = options.top_p;
  r.stop = options.stop;
  r.sampling = options.sampling;
  r.format = options.format;
  r.keep_alive_s = options.keep_alive_s;
  return r;
}

bool decode_line(const json& j, const StreamSink& sink, int* tool_calls, bool* started, bool* done) {
  if (!j.is_object()) throw ProviderError(ErrorKind::server, "malformed Ollama chunk");
  if (j.contains("error")) throw ProviderError(ErrorKind::server, "upstream error: " + (j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump()));
  if (!*started) {
    *started = true;
    StreamEvent s{StreamEvent::Kind::start};
    s.model = j.value("model", "");
    if (!sink(s)) return false;
  }
  // /api/chat puts text in message.content, /api/generate in response.
  const json empty = json::object();
  const json& m = j.contains("message") && j["message"].is_object() ? j["message"] : empty;
  const json& src = m.empty() ? j : m;
  const char* text_key = m.empty() ? "response" : "content";
  if (src.contains("thinking") && src["thinking"].is_string() && !src["thinking"].get<std::string>().empty()) {
    StreamEvent e{StreamEvent::Kind::reasoning};
    e.text = src["thinking"];
    if (!sink(e)) return false;
  }
  if (src.contains(text_key) && src[text_key].is_string() && !src[text_key].get<std::string>().empty()) {
    StreamEvent e{StreamEvent::Kind::text};
    e.text = src[text_key];
    if (j.contains("logprobs")) e.logprobs = openai::chat_logprobs_from_json(j["logprobs"]);
    if (!sink(e)) return false;
  }
  if (m.contains("tool_calls") && m["tool_calls"].is_array())
    for (const auto& c : m["tool_calls"]) {
      if (!c.is_object()) continue;
      const auto& f = c.contains("function") && c["function"].is_object() ? c["function"] : empty;
      StreamEvent e{StreamEvent::Kind::tool_call};
      e.index = (*tool_calls)++;
      e.id = "call_" + std::to_string(e.index);
      e.name = f.contains("name") && f["name"].is_string() ? f["name"].get<std::string>() : "";
      e.arguments = f.contains("arguments") ? f["arguments"].dump() : "{}";
      if (!sink(e)) return false;
    }
  if (j.contains("done") && j["done"].is_boolean() && j["done"].get<bool>()) {
    *done = true;
    StreamEvent u{StreamEvent::Kind::usage};
    auto count = [&](const char* k) -> int64_t { return j.contains(k) && j[k].is_number_integer() ? j[k].get<int64_t>() : 0; };
    u.usage.input_tokens = count("prompt_eval_count");
    u.usage.output_tokens = count("eval_count");
    if (!sink(u)) return false;
    StreamEvent f{StreamEvent::Kind::finish};
    std::string reason = j.contains("done_reason") && j["done_reason"].is_string() ? j["done_reason"].get<std::string>() : "stop";
    f.stop = *tool_calls > 0 ? StopReason::tool_calls : reason == "length" ? StopReason::length : StopReason::stop;
    return sink(f);
  }
  return true;
}

int64_t Timing::since(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

void Timing::add_to(json& j, const Usage& u) const {
  auto end = std::chrono::steady_clock::now();
  auto first = have_first ? first_token : end;
  j["total_duration"] = since(start, end);
  j["load_duration"] = 0;  // the model is loaded before requests are admitted
  j["prompt_eval_count"] = u.input_tokens;
  j["prompt_eval_duration"] = since(start, first);
  j["eval_count"] = u.output_tokens;
  j["eval_duration"] = since(first, end);
}

json LineEncoder::line(json body, bool done) const {
  json j = {{"model", model_}, {"created_at", now_iso()}};
  for (auto& [k, v] : body.items()) j[k] = v;
  j["done"] = done;
  return j;
}

void LineEncoder::encode(const StreamEvent& e, std::string& out) {
  json body;
  switch (e.kind) {
    case StreamEvent::Kind::text:
      timing_.mark_first();
      body = generate_ ? json{{"response", e.text}} : json{{"message", {{"role", "assistant"}, {"content", e.text}}}};
      if (logprobs_ && !e.logprobs.empty()) body["logprobs"] = openai::chat_logprobs_json(e.logprobs);
      break;
    case StreamEvent::Kind::reasoning:
      timing_.mark_first();
      body = generate_ ? json{{"response", ""}, {"thinking", e.text}}
                       : json{{"message", {{"role", "assistant"}, {"content", ""}, {"thinking", e.text}}}};
      break;
    case StreamEvent::Kind::tool_call:
      timing_.mark_first();
      if (e.index < 0 || e.index > 1024) return;
      if (calls_.size() <= static_cast<size_t>(e.index)) calls_.resize(e.index + 1);
      if (!e.name.empty()) calls_[e.index].name = e.name;
      calls_[e.index].arguments += e.arguments;
      return;
    case StreamEvent::Kind::usage: usage_ = e.usage; return;
    case StreamEvent::Kind::finish: stop_ = e.stop; return;
    case StreamEvent::Kind::start: return;
  }
  out += openai::dump(line(std::move(body), false));
  out += "\n";
}

void LineEncoder::finish(std::string& out) {
  json body;
  if (generate_) {
    body = {{"response", ""}};
  } else {
    json msg = {{"role", "assistant"}, {"content", ""}};
    if (!calls_.empty()) msg["tool_calls"] = calls_json(calls_);
    body = {{"message", msg}};
  }
  body["done_reason"] = done_reason(stop_);
  timing_.add_to(body, usage_);
  out += openai::dump(line(std::move(body), true));
  out += "\n";
}

json response_to_json(const ChatResponse& r, const std::string& model, const Timing& t, bool generate, bool logprobs) {
  json j = {{"model", model}, {"created_at", now_iso()}};
  if (generate) {
    j["response"] = r.message.content;
    if (!r.message.reasoning.empty()) j["thinking"] = r.message.reasoning;
  } else {
    json msg = {{"role", "assistant"}, {"content", r.message.content}};
    if (!r.message.reasoning.empty()) msg["thinking"] = r.message.reasoning;
    if (!r.message.tool_calls.empty()) msg["tool_calls"] = calls_json(r.message.tool_calls);
    j["message"] = msg;
  }
  if (logprobs) j["logprobs"] = openai::chat_logprobs_json(r.logprobs);
  j["done"] = true;
  j["done_reason"] = done_reason(r.stop);
  t.add_to(j, r.usage);
  return j;
}

}  // namespace hearth::router::ollama
