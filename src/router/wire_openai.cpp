#include "router/output_format.h"
#include "router/wire_openai.h"

#include "router/wire_logprobs.h"

namespace hearth::router::openai {
namespace {

// The field named at the start of the message ("messages[2].role is required") is the param.
[[noreturn]] void bad(const std::string& m) {
  size_t start = m[0] == '\'' ? 1 : 0;
  size_t end = m.find_first_of(" .:'", start);
  throw ProviderError(ErrorKind::bad_request, m).with_param(m.substr(start, end == std::string::npos ? end : end - start));
}

// OpenAI content is a string or an array of parts; only text parts are kept.
// Images (image_url, input_image) and audio parts are noted in `media` by location.
std::string content_text(const json& c, const std::string& where, std::vector<std::string>* media = nullptr) {
  if (c.is_null()) return "";
  if (c.is_string()) return c.get<std::string>();
  if (!c.is_array()) bad(where + ".content must be a string or an array of parts");
  std::string out;
  for (size_t k = 0; k < c.size(); ++k) {
    const auto& p = c[k];
    const std::string type = string_field(p, "type", where + ".content");
    if (type == "text") out += string_field(p, "text", where + ".content");
    else if (media && (type == "image_url" || type == "input_image" || type == "input_audio"))
      media->push_back(where + ".content[" + std::to_string(k) + "]");
  }
  return out;
}

}  // namespace

void add_sampling(const SamplingOptions& s, json& j) {
  if (s.seed) j["seed"] = *s.seed;
  if (s.presence_penalty) j["presence_penalty"] = *s.presence_penalty;
  if (s.frequency_penalty) j["frequency_penalty"] = *s.frequency_penalty;
  if (!s.logit_bias.empty()) {
    json b = json::object();
    for (const auto& [tok, bias] : s.logit_bias) b[std::to_string(tok)] = bias;
    j["logit_bias"] = b;
  }
  if (s.logprobs) j["logprobs"] = true;
  if (s.logprobs && s.top_logprobs > 0) j["top_logprobs"] = s.top_logprobs;
  // Not OpenAI's own, but llama.cpp, vLLM and hearth accept them; sent only when asked for.
  if (s.top_k) j["top_k"] = *s.top_k;
  if (s.min_p) j["min_p"] = *s.min_p;
  if (s.typical_p) j["typical_p"] = *s.typical_p;
  if (s.repeat_penalty) j["repeat_penalty"] = *s.repeat_penalty;
}

StopReason parse_finish(const std::string& s) {
  if (s == "stop") return StopReason::stop;
  if (s == "length") return StopReason::length;
  if (s == "tool_calls" || s == "function_call") return StopReason::tool_calls;
  if (s == "content_filter") return StopReason::content_filter;
  return StopReason::unknown;
}

const char* finish_name(StopReason r) {
  switch (r) {
    case StopReason::length: return "length";
    case StopReason::tool_calls: return "tool_calls";
    case StopReason::content_filter: return "content_filter";
    default: return "stop";
  }
}

json request_to_json(const ChatRequest& req, bool stream) {
  json msgs = json::array();
  for (const auto& m : req.messages) {
    json j = {{"role", role_name(m.role)}};
    if (m.role == Role::assistant && !m.tool_calls.empty()) {
      j["content"] = m.content.empty() ? json(nullptr) : json(m.content);
      json calls = json::array();
      for (const auto& c : m.tool_calls)
        calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
      j["tool_calls"] = calls;
    } else {
      j["content"] = m.content;
    }
    if (m.role == Role::tool) j["tool_call_id"] = m.tool_call_id;
    msgs.push_back(std::move(j));
  }
  json j = {{"model", req.model}, {"messages", msgs}};
  if (!req.tools.empty()) {
    json tools = json::array();
    for (const auto& t : req.tools)
      tools.push_back({{"type", "function"},
                       {"function", {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}});
    j["tools"] = tools;
  }
  if (!req.tool_choice.is_null()) {
    if (req.tool_choice.is_object() && req.tool_choice.contains("name"))
      j["tool_choice"] = {{"type", "function"}, {"function", {{"name", req.tool_choice["name"]}}}};
    else
      j["tool_choice"] = req.tool_choice;
  }
  if (req.parallel_tool_calls && !req.tools.empty()) j["parallel_tool_calls"] = *req.parallel_tool_calls;
  if (req.max_tokens) j["max_tokens"] = *req.max_tokens;
  if (req.temperature) j["temperature"] = *req.temperature;
  if (req.top_p) j["top_p"] = *req.top_p;
  if (!req.stop.empty()) j["stop"] = req.stop;
  if (auto rf = openai_response_format(req.format); !rf.is_null()) j["response_format"] = rf;
  if (!req.format.grammar.empty()) j["grammar"] = req.format.grammar;  // llama.cpp servers
  add_sampling(req.sampling, j);
  if (stream) {
    j["stream"] = true;
    j["stream_options"] = {{"include_usage", true}};
  }
  return j;
}

ChatRequest request_from_json(const json& j) {
  if (!j.is_object()) bad("request body must be a JSON object");
  ChatRequest r;
  if (!j.contains("model") || !j["model"].is_string()) bad("'model' is required and must be a string");
  r.model = j["model"];
  if (!j.contains("messages") || !j["messages"].is_array()) bad("'messages' is required and must be an array");
  size_t i = 0;
  for (const auto& m : j["messages"]) {
    std::string where = "messages[" + std::to_string(i++) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) bad(where + ".role is required");
    Message msg;
    msg.role = parse_role(m["role"]);
    msg.content = content_text(m.value("content", json()), where, &r.image_inputs);
    if (m.contains("reasoning_content") && m["reasoning_content"].is_string()) msg.reasoning = m["reasoning_content"];
    if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
      for (const auto& c : m["tool_calls"]) {
        if (!c.is_object() || !c.contains("function") || !c["function"].is_object()) bad(where + ".tool_calls: each needs a function");
        const auto& f = c["function"];
        ToolCall tc{string_field(c, "id", where + ".tool_calls"), string_field(f, "name", where + ".tool_calls.function"), ""};
        if (f.contains("arguments")) tc.arguments = f["arguments"].is_string() ? f["arguments"].get<std::string>() : f["arguments"].dump();
        msg.tool_calls.push_back(std::move(tc));
      }
    }
    if (m.contains("tool_call_id") && m["tool_call_id"].is_string()) msg.tool_call_id = m["tool_call_id"];
    if (m.contains("name") && m["name"].is_string()) msg.name = m["name"];
    r.messages.push_back(std::move(msg));
  }
  if (j.contains("tools") && j["tools"].is_array()) {
    for (const auto& t : j["tools"]) {
      if (!t.is_object() || !t.contains("function") || !t["function"].is_object()) bad("tools: each needs a function object");
      const auto& f = t["function"];
      if (!f.contains("name") || !f["name"].is_string()) bad("tools: function.name is required");
      r.tools.push_back({f["name"], string_field(f, "description", "tools.function"), f.value("parameters", json::object())});
    }
  }
  if (j.contains("tool_choice")) {
    const auto& tc = j["tool_choice"];
    if (tc.is_object() && tc.contains("function")) r.tool_choice = {{"name", string_field(tc["function"], "name", "tool_choice.function")}};
    else r.tool_choice = tc;
  }
  if (j.contains("reasoning_effort") && !j["reasoning_effort"].is_null()) {
    const std::string e = string_field(j, "reasoning_effort", "request");
    if (e != "none" && e != "minimal" && e != "low" && e != "medium" && e != "high")
      bad("'reasoning_effort' must be none, minimal, low, medium or high");
    r.thinking = e != "none";
    if (e != "none") r.reasoning_effort = e == "minimal" ? "low" : e;
  }
  for (const json* o : {&j, j.contains("chat_template_kwargs") ? &j["chat_template_kwargs"] : nullptr})
    if (o && o->is_object() && o->contains("enable_thinking")) {
      if (!(*o)["enable_thinking"].is_boolean()) bad("'enable_thinking' must be a boolean");
      r.thinking = (*o)["enable_thinking"].get<bool>();
    }
  if (j.contains("parallel_tool_calls") && !j["parallel_tool_calls"].is_null()) {
    if (!j["parallel_tool_calls"].is_boolean()) bad("'parallel_tool_calls' must be a boolean");
    r.parallel_tool_calls = j["parallel_tool_calls"].get<bool>();
  }
  auto int_field = [&](const char* k) -> std::optional<int> {
    if (!j.contains(k) || j[k].is_null()) return std::nullopt;
    if (!j[k].is_number_integer()) bad(std::string("'") + k + "' must be an integer");
    return j[k].get<int>();
  };
  r.max_tokens = int_field("max_completion_tokens");
  if (!r.max_tokens) r.max_tokens = int_field("max_tokens");
  if (j.contains("temperature") && j["temperature"].is_number()) r.temperature = j["temperature"];
  if (j.contains("top_p") && j["top_p"].is_number()) r.top_p = j["top_p"];
  if (j.contains("stop")) {
    if (j["stop"].is_string()) r.stop.push_back(j["stop"]);
    else if (j["stop"].is_array())
      for (const auto& s : j["stop"]) if (s.is_string()) r.stop.push_back(s);
  }
  r.format = openai_output_format(j);
  return r;
}

json response_to_json(const ChatResponse& r, const std::string& model) {
  json msg = {{"role", "assistant"}, {"content", r.message.content}};
  if (!r.message.reasoning.empty()) msg["reasoning_content"] = r.message.reasoning;
  if (!r.message.tool_calls.empty()) {
    json calls = json::array();
    for (const auto& c : r.message.tool_calls)
      calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    msg["tool_calls"] = calls;
    if (r.message.content.empty()) msg["content"] = nullptr;
  }
  return {{"id", r.id},
          {"object", "chat.completion"},
          {"created", static_cast<long>(time(nullptr))},
          {"model", model},
          {"choices", json::array({{{"index", 0}, {"message", msg}, {"finish_reason", finish_name(r.stop)},
                                    {"logprobs", r.logprobs.empty() ? json(nullptr) : json{{"content", chat_logprobs_json(r.logprobs)}, {"refusal", nullptr}}}}})},
          {"usage", usage_json(r.usage)}};
}

ChatResponse response_from_json(const json& j) {
  auto fail = [](const std::string& m) { throw ProviderError(ErrorKind::server, "malformed chat completion: " + m); };
  if (!j.is_object()) fail("not an object");
  ChatResponse r;
  r.id = j.value("id", "");
  r.model = j.value("model", "");
  if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) fail("no choices");
  const auto& c = j["choices"][0];
  if (!c.is_object() || !c.contains("message") || !c["message"].is_object()) fail("choice without message");
  const auto& m = c["message"];
  r.message.content = content_text(m.value("content", json()), "message");
  for (const char* k : {"reasoning_content", "reasoning"})
    if (m.contains(k) && m[k].is_string()) r.message.reasoning = m[k];
  if (m.contains("tool_calls") && m["tool_calls"].is_array())
    for (const auto& tc : m["tool_calls"]) {
      if (!tc.is_object() || !tc.contains("function")) fail("tool call without function");
      const auto& f = tc["function"];
      r.message.tool_calls.push_back({tc.value("id", ""), f.value("name", ""),
                                      f.contains("arguments") && f["arguments"].is_string() ? f["arguments"].get<std::string>() : ""});
    }
  r.stop = c.contains("finish_reason") && c["finish_reason"].is_string() ? parse_finish(c["finish_reason"]) : StopReason::unknown;
  if (c.contains("logprobs") && c["logprobs"].is_object() && c["logprobs"].contains("content"))
    r.logprobs = chat_logprobs_from_json(c["logprobs"]["content"]);
  if (j.contains("usage")) r.usage = usage_from_json(j["usage"]);
  return r;
}

bool ChunkDecoder::begin(const json& chunk, const char* what, const StreamSink& sink) {
  if (!chunk.is_object()) throw ProviderError(ErrorKind::server, std::string("malformed ") + what);
  if (chunk.contains("error")) {
    const auto& e = chunk["error"];
    std::string m = e.is_object() ? e.value("message", e.dump()) : e.dump();
    throw ProviderError(ErrorKind::server, "upstream stream error: " + m);
  }
  if (started_) return true;
  started_ = true;
  StreamEvent s{StreamEvent::Kind::start};
  s.response_id = chunk.value("id", "");
  s.model = chunk.value("model", "");
  return sink(s);
}

void ChunkDecoder::hold_finish(const json& choice) {
  if (!choice.contains("finish_reason") || !choice["finish_reason"].is_string()) return;
  finished_ = true;
  StreamEvent e{StreamEvent::Kind::finish};
  e.stop = parse_finish(choice["finish_reason"]);
  pending_finish_ = e;
}

bool ChunkDecoder::usage(const json& chunk, const StreamSink& sink) {
  if (!chunk.contains("usage") || !chunk["usage"].is_object()) return true;
  StreamEvent e{StreamEvent::Kind::usage};
  e.usage = usage_from_json(chunk["usage"]);
  return sink(e);
}

bool ChunkDecoder::flush(const StreamSink& sink) {
  if (!pending_finish_) return true;
  auto e = *pending_finish_;
  pending_finish_.reset();
  return sink(e);
}

bool StreamDecoder::feed(const json& chunk, const StreamSink& sink) {
  if (!begin(chunk, "stream chunk", sink)) return false;
  if (chunk.contains("choices") && chunk["choices"].is_array() && !chunk["choices"].empty()) {
    const auto& c = chunk["choices"][0];
    if (c.contains("delta") && c["delta"].is_object()) {
      const auto& d = c["delta"];
      for (const char* k : {"reasoning_content", "reasoning"})
        if (d.contains(k) && d[k].is_string() && !d[k].get<std::string>().empty()) {
          StreamEvent e{StreamEvent::Kind::reasoning};
          e.text = d[k];
          if (!sink(e)) return false;
        }
      if (d.contains("content") && d["content"].is_string() && !d["content"].get<std::string>().empty()) {
        StreamEvent e{StreamEvent::Kind::text};
        e.text = d["content"];
        if (c.contains("logprobs") && c["logprobs"].is_object() && c["logprobs"].contains("content"))
          e.logprobs = chat_logprobs_from_json(c["logprobs"]["content"]);
        if (!sink(e)) return false;
      }
      if (d.contains("tool_calls") && d["tool_calls"].is_array())
        for (const auto& tc : d["tool_calls"]) {
          StreamEvent e{StreamEvent::Kind::tool_call};
          e.index = tc.value("index", 0);
          e.id = tc.contains("id") && tc["id"].is_string() ? tc["id"].get<std::string>() : "";
          if (tc.contains("function") && tc["function"].is_object()) {
            const auto& f = tc["function"];
            if (f.contains("name") && f["name"].is_string()) e.name = f["name"];
            if (f.contains("arguments") && f["arguments"].is_string()) e.arguments = f["arguments"];
          }
          if (!sink(e)) return false;
        }
    }
    hold_finish(c);
  }
  return usage(chunk, sink);
}

json StreamEncoder::chunk(json delta, json finish) const {
  return {{"id", id_},
          {"object", "chat.completion.chunk"},
          {"created", created_},
          {"model", model_},
          {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish)}, {"logprobs", nullptr}}})}};
}

void StreamEncoder::encode(const StreamEvent& e, std::string& out) {
  if (!role_sent_ && e.kind != StreamEvent::Kind::usage) {
    role_sent_ = true;
    frame(chunk({{"role", "assistant"}, {"content", ""}}, nullptr), out);
  }
  switch (e.kind) {
    case StreamEvent::Kind::start: break;
    case StreamEvent::Kind::text: {
      json c = chunk({{"content", e.text}}, nullptr);
      if (!e.logprobs.empty()) c["choices"][0]["logprobs"] = {{"content", chat_logprobs_json(e.logprobs)}, {"refusal", nullptr}};
      frame(c, out);
      break;
    }
    case StreamEvent::Kind::reasoning: frame(chunk({{"reasoning_content", e.text}}, nullptr), out); break;
    case StreamEvent::Kind::tool_call: {
      json tc = {{"index", e.index}, {"function", {{"arguments", e.arguments}}}};
      if (!e.id.empty()) { tc["id"] = e.id; tc["type"] = "function"; }
      if (!e.name.empty()) tc["function"]["name"] = e.name;
      frame(chunk({{"tool_calls", json::array({tc})}}, nullptr), out);
      break;
    }
    case StreamEvent::Kind::usage: u_ = e.usage; break;
    case StreamEvent::Kind::finish: frame(chunk(json::object(), finish_name(e.stop)), out); break;
  }
}

void StreamEncoder::finish(std::string& out) {
  if (usage_) {
    json j = {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", model_},
              {"choices", json::array()}, {"usage", usage_json(u_)}};
    frame(j, out);
  }
  out += "data: [DONE]\n\n";
}

}  // namespace hearth::router::openai
