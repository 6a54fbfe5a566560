#include "router/wire_ollama.h"

#include <ctime>

namespace hearth::router::ollama {
namespace {

[[noreturn]] void bad(const std::string& m) { throw ProviderError(ErrorKind::bad_request, m); }

std::string now_iso() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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
  json opts = json::object();
  if (req.max_tokens) opts["num_predict"] = *req.max_tokens;
  if (req.temperature) opts["temperature"] = *req.temperature;
  if (req.top_p) opts["top_p"] = *req.top_p;
  if (!req.stop.empty()) opts["stop"] = req.stop;
  if (!opts.empty()) j["options"] = opts;
  if (req.json_mode) j["format"] = "json";
  return j;
}

ChatRequest request_from_json(const json& j, bool* stream) {
  if (!j.is_object()) bad("request body must be a JSON object");
  ChatRequest r;
  if (!j.contains("model") || !j["model"].is_string()) bad("model is required");
  r.model = j["model"];
  *stream = j.value("stream", true);
  if (!j.contains("messages") || !j["messages"].is_array()) bad("messages is required and must be an array");
  for (const auto& m : j["messages"]) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) bad("each message needs a role");
    Message msg;
    msg.role = parse_role(m["role"]);
    msg.content = m.value("content", "");
    msg.name = m.value("tool_name", "");
    if (m.contains("tool_calls") && m["tool_calls"].is_array())
      for (const auto& c : m["tool_calls"]) {
        const auto& f = c.value("function", json::object());
        msg.tool_calls.push_back({"", f.value("name", ""), f.value("arguments", json::object()).dump()});
      }
    r.messages.push_back(std::move(msg));
  }
  if (j.contains("tools") && j["tools"].is_array())
    for (const auto& t : j["tools"]) {
      const auto& f = t.value("function", json::object());
      if (!f.contains("name") || !f["name"].is_string()) bad("tools: function.name is required");
      r.tools.push_back({f["name"], f.value("description", ""), f.value("parameters", json::object())});
    }
  if (j.contains("options") && j["options"].is_object()) {
    const auto& o = j["options"];
    if (o.contains("num_predict") && o["num_predict"].is_number_integer()) r.max_tokens = o["num_predict"].get<int>();
    if (o.contains("temperature") && o["temperature"].is_number()) r.temperature = o["temperature"];
    if (o.contains("top_p") && o["top_p"].is_number()) r.top_p = o["top_p"];
    if (o.contains("stop") && o["stop"].is_array())
      for (const auto& s : o["stop"]) if (s.is_string()) r.stop.push_back(s);
  }
  if (j.contains("format") && !j["format"].is_null()) r.json_mode = true;
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
  if (j.contains("message") && j["message"].is_object()) {
    const auto& m = j["message"];
    if (m.contains("thinking") && m["thinking"].is_string() && !m["thinking"].get<std::string>().empty()) {
      StreamEvent e{StreamEvent::Kind::reasoning};
      e.text = m["thinking"];
      if (!sink(e)) return false;
    }
    if (m.contains("content") && m["content"].is_string() && !m["content"].get<std::string>().empty()) {
      StreamEvent e{StreamEvent::Kind::text};
      e.text = m["content"];
      if (!sink(e)) return false;
    }
    if (m.contains("tool_calls") && m["tool_calls"].is_array())
      for (const auto& c : m["tool_calls"]) {
        const auto& f = c.value("function", json::object());
        StreamEvent e{StreamEvent::Kind::tool_call};
        e.index = (*tool_calls)++;
        e.id = "call_" + std::to_string(e.index);
        e.name = f.value("name", "");
        e.arguments = f.value("arguments", json::object()).dump();
        if (!sink(e)) return false;
      }
  }
  if (j.value("done", false)) {
    *done = true;
    StreamEvent u{StreamEvent::Kind::usage};
    u.usage.input_tokens = j.value("prompt_eval_count", 0);
    u.usage.output_tokens = j.value("eval_count", 0);
    if (!sink(u)) return false;
    StreamEvent f{StreamEvent::Kind::finish};
    std::string reason = j.value("done_reason", "stop");
    f.stop = *tool_calls > 0 ? StopReason::tool_calls : reason == "length" ? StopReason::length : StopReason::stop;
    return sink(f);
  }
  return true;
}

void LineEncoder::encode(const StreamEvent& e, std::string& out) {
  json msg;
  switch (e.kind) {
    case StreamEvent::Kind::text: msg = {{"role", "assistant"}, {"content", e.text}}; break;
    case StreamEvent::Kind::reasoning: msg = {{"role", "assistant"}, {"content", ""}, {"thinking", e.text}}; break;
    case StreamEvent::Kind::tool_call:
      if (calls_.size() <= static_cast<size_t>(e.index)) calls_.resize(e.index + 1);
      if (!e.name.empty()) calls_[e.index].name = e.name;
      calls_[e.index].arguments += e.arguments;
      return;
    case StreamEvent::Kind::usage: usage_ = e.usage; return;
    case StreamEvent::Kind::finish: stop_ = e.stop; return;
    case StreamEvent::Kind::start: return;
  }
  out += json{{"model", model_}, {"created_at", now_iso()}, {"message", msg}, {"done", false}}.dump();
  out += "\n";
}

void LineEncoder::finish(std::string& out) {
  json msg = {{"role", "assistant"}, {"content", ""}};
  if (!calls_.empty()) msg["tool_calls"] = calls_json(calls_);
  out += json{{"model", model_}, {"created_at", now_iso()}, {"message", msg}, {"done", true},
              {"done_reason", done_reason(stop_)}, {"prompt_eval_count", usage_.input_tokens},
              {"eval_count", usage_.output_tokens}}.dump();
  out += "\n";
}

json response_to_json(const ChatResponse& r, const std::string& model) {
  json msg = {{"role", "assistant"}, {"content", r.message.content}};
  if (!r.message.reasoning.empty()) msg["thinking"] = r.message.reasoning;
  if (!r.message.tool_calls.empty()) msg["tool_calls"] = calls_json(r.message.tool_calls);
  return {{"model", model}, {"created_at", now_iso()}, {"message", msg}, {"done", true},
          {"done_reason", done_reason(r.stop)}, {"prompt_eval_count", r.usage.input_tokens},
          {"eval_count", r.usage.output_tokens}};
}

}  // namespace hearth::router::ollama
