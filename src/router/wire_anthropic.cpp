#include "router/wire_anthropic.h"

namespace hearth::router::anthropic {
namespace {

[[noreturn]] void bad(const std::string& m) { throw ProviderError(ErrorKind::bad_request, m); }

json parse_args(const std::string& text) {
  if (text.empty()) return json::object();
  auto j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

std::string block_text(const json& c) {
  if (c.is_string()) return c.get<std::string>();
  std::string out;
  if (c.is_array())
    for (const auto& b : c)
      if (string_field(b, "type", "content") == "text") out += string_field(b, "text", "content");
  return out;
}

void frame(const char* event, const json& data, std::string& out) {
  out += "event: ";
  out += event;
  out += "\ndata: ";
  out += data.dump();
  out += "\n\n";
}

}  // namespace

StopReason parse_stop(const std::string& s) {
  if (s == "end_turn" || s == "stop_sequence") return StopReason::stop;
  if (s == "max_tokens") return StopReason::length;
  if (s == "tool_use") return StopReason::tool_calls;
  if (s == "refusal") return StopReason::content_filter;
  return StopReason::unknown;
}

const char* stop_name(StopReason r) {
  switch (r) {
    case StopReason::length: return "max_tokens";
    case StopReason::tool_calls: return "tool_use";
    case StopReason::content_filter: return "refusal";
    default: return "end_turn";
  }
}

// "stop_sequence" when one of the request's stop strings ended the reply, as Anthropic reports it.
std::string stop_reason_of(StopReason r, const std::string& stop_sequence) {
  if (r == StopReason::stop && !stop_sequence.empty()) return "stop_sequence";
  return stop_name(r);
}

json error_body(ErrorKind k, const std::string& message) {
  const char* type = "api_error";
  switch (k) {
    case ErrorKind::auth: type = "authentication_error"; break;
    case ErrorKind::refused: type = "permission_error"; break;
    case ErrorKind::rate_limit: type = "rate_limit_error"; break;
    case ErrorKind::overloaded: type = "overloaded_error"; break;
    case ErrorKind::not_found: type = "not_found_error"; break;
    case ErrorKind::bad_request:
    case ErrorKind::context_length:
    case ErrorKind::unsupported:
    case ErrorKind::budget: type = "invalid_request_error"; break;
    default: break;
  }
  return {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}};
}

json request_to_json(const ChatRequest& req, bool stream) {
  json j = {{"model", req.model}, {"max_tokens", req.max_tokens.value_or(4096)}};
  std::string system;
  json msgs = json::array();
  auto push = [&](const char* role, json block) {
    // Anthropic wants alternating roles; consecutive same-role content merges into one message.
    if (!msgs.empty() && msgs.back()["role"] == role) msgs.back()["content"].push_back(std::move(block));
    else msgs.push_back({{"role", role}, {"content", json::array({std::move(block)})}});
  };
  for (const auto& m : req.messages) {
    switch (m.role) {
      case Role::system:
        system += (system.empty() ? "" : "\n\n") + m.content;
        break;
      case Role::user:
        push("user", {{"type", "text"}, {"text", m.content}});
        break;
      case Role::tool:
        push("user", {{"type", "tool_result"}, {"tool_use_id", m.tool_call_id}, {"content", m.content}});
        break;
      case Role::assistant:
        if (!m.content.empty() || m.tool_calls.empty()) push("assistant", {{"type", "text"}, {"text", m.content}});
        for (const auto& c : m.tool_calls)
          push("assistant", {{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", parse_args(c.arguments)}});
        break;
    }
  }
  if (!system.empty()) j["system"] = system;
  j["messages"] = msgs;
  if (!req.tools.empty()) {
    json tools = json::array();
    for (const auto& t : req.tools) tools.push_back({{"name", t.name}, {"description", t.description}, {"input_schema", t.parameters}});
    j["tools"] = tools;
  }
  if (req.tool_choice.is_string()) {
    std::string c = req.tool_choice;
    if (c == "required") j["tool_choice"] = {{"type", "any"}};
    else if (c == "none") j["tool_choice"] = {{"type", "none"}};
    else j["tool_choice"] = {{"type", "auto"}};
  } else if (req.tool_choice.is_object() && req.tool_choice.contains("name")) {
    j["tool_choice"] = {{"type", "tool"}, {"name", req.tool_choice["name"]}};
  }
  if (req.parallel_tool_calls && !*req.parallel_tool_calls && !req.tools.empty()) {
    if (!j.contains("tool_choice")) j["tool_choice"] = {{"type", "auto"}};
    j["tool_choice"]["disable_parallel_tool_use"] = true;
  }
  if (req.temperature) j["temperature"] = *req.temperature;
  if (req.top_p) j["top_p"] = *req.top_p;
  if (!req.stop.empty()) j["stop_sequences"] = req.stop;
  if (stream) j["stream"] = true;
  return j;
}

ChatRequest request_from_json(const json& j) {
  if (!j.is_object()) bad("request body must be a JSON object");
  ChatRequest r;
  if (!j.contains("model") || !j["model"].is_string()) bad("model: required string");
  r.model = j["model"];
  if (!j.contains("max_tokens") || !j["max_tokens"].is_number_integer()) bad("max_tokens: required integer");
  r.max_tokens = j["max_tokens"].get<int>();
  if (j.contains("system")) r.messages.push_back({Role::system, block_text(j["system"])});
  if (!j.contains("messages") || !j["messages"].is_array()) bad("messages: required array");
  size_t i = 0;
  for (const auto& m : j["messages"]) {
    std::string where = "messages." + std::to_string(i++);
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) bad(where + ".role: required");
    std::string role = m["role"];
    if (role != "user" && role != "assistant") bad(where + ".role: must be user or assistant");
    const auto& c = m.value("content", json());
    if (c.is_string()) {
      r.messages.push_back({role == "user" ? Role::user : Role::assistant, c.get<std::string>()});
      continue;
    }
    if (!c.is_array()) bad(where + ".content: must be a string or an array of blocks");
    Message cur{role == "user" ? Role::user : Role::assistant};
    bool has_cur = false;
    size_t block = 0;
    for (const auto& b : c) {
      const std::string bw = where + ".content";
      const std::string at = bw + "[" + std::to_string(block++) + "]";
      std::string type = string_field(b, "type", bw);
      if (type == "text") {
        cur.content += string_field(b, "text", bw);
        has_cur = true;
      } else if (type == "thinking") {
        cur.reasoning += string_field(b, "thinking", bw);
      } else if (type == "tool_use") {
        cur.tool_calls.push_back({string_field(b, "id", bw), string_field(b, "name", bw), b.value("input", json::object()).dump()});
        has_cur = true;
      } else if (type == "image" || type == "document") {
        r.image_inputs.push_back(at);
      } else if (type == "tool_result") {
        Message t{Role::tool};
        t.tool_call_id = string_field(b, "tool_use_id", bw);
        t.content = block_text(b.value("content", json("")));
        r.messages.push_back(std::move(t));
      } else if (type.empty()) {
        bad(where + ".content: block without a type");
      }
    }
    if (has_cur || cur.role == Role::assistant) r.messages.push_back(std::move(cur));
  }
  if (j.contains("tools") && j["tools"].is_array())
    for (const auto& t : j["tools"]) {
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) bad("tools: each needs a name");
      r.tools.push_back({t["name"], string_field(t, "description", "tools"), t.value("input_schema", json::object())});
    }
  if (j.contains("tool_choice") && j["tool_choice"].is_object()) {
    std::string t = string_field(j["tool_choice"], "type", "tool_choice", "auto");
    if (t == "any") r.tool_choice = "required";
    else if (t == "tool") r.tool_choice = {{"name", string_field(j["tool_choice"], "name", "tool_choice")}};
    else r.tool_choice = t;
    if (j["tool_choice"].contains("disable_parallel_tool_use") && j["tool_choice"]["disable_parallel_tool_use"].is_boolean())
      r.parallel_tool_calls = !j["tool_choice"]["disable_parallel_tool_use"].get<bool>();
  }
  if (j.contains("thinking") && j["thinking"].is_object()) {
    const std::string t = string_field(j["thinking"], "type", "thinking");
    if (t != "enabled" && t != "disabled") bad("thinking.type must be \"enabled\" or \"disabled\"");
    r.thinking = t == "enabled";
  }
  if (j.contains("temperature") && j["temperature"].is_number()) r.temperature = j["temperature"];
  if (j.contains("top_p") && j["top_p"].is_number()) r.top_p = j["top_p"];
  if (j.contains("stop_sequences") && j["stop_sequences"].is_array())
    for (const auto& s : j["stop_sequences"]) if (s.is_string()) r.stop.push_back(s);
  return r;
}

json response_to_json(const ChatResponse& r, const std::string& model) {
  json content = json::array();
  if (!r.message.reasoning.empty()) content.push_back({{"type", "thinking"}, {"thinking", r.message.reasoning}, {"signature", ""}});
  if (!r.message.content.empty() || r.message.tool_calls.empty()) content.push_back({{"type", "text"}, {"text", r.message.content}});
  for (const auto& c : r.message.tool_calls)
    content.push_back({{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", parse_args(c.arguments)}});
  return {{"id", r.id}, {"type", "message"}, {"role", "assistant"}, {"model", model}, {"content", content},
          {"stop_reason", stop_reason_of(r.stop, r.stop_sequence)},
          {"stop_sequence", r.stop_sequence.empty() ? json(nullptr) : json(r.stop_sequence)},
          {"usage", {{"input_tokens", r.usage.input_tokens}, {"output_tokens", r.usage.output_tokens}}}};
}

ChatResponse response_from_json(const json& j) {
  if (!j.is_object() || !j.contains("content") || !j["content"].is_array())
    throw ProviderError(ErrorKind::server, "malformed Anthropic message: no content array");
  ChatResponse r;
  r.id = j.value("id", "");
  r.model = j.value("model", "");
  for (const auto& b : j["content"]) {
    std::string type = b.is_object() ? b.value("type", "") : "";
    if (type == "text") r.message.content += b.value("text", "");
    else if (type == "thinking") r.message.reasoning += b.value("thinking", "");
    else if (type == "tool_use")
      r.message.tool_calls.push_back({b.value("id", ""), b.value("name", ""), b.value("input", json::object()).dump()});
  }
  r.stop = j.contains("stop_reason") && j["stop_reason"].is_string() ? parse_stop(j["stop_reason"]) : StopReason::unknown;
  if (j.contains("usage") && j["usage"].is_object()) {
    r.usage.input_tokens = j["usage"].value("input_tokens", 0);
    r.usage.output_tokens = j["usage"].value("output_tokens", 0);
  }
  return r;
}

bool StreamDecoder::feed(const std::string& event, const json& d, const StreamSink& sink) {
  std::string type = d.is_object() ? d.value("type", event) : event;
  if (type == "error") {
    std::string msg = d.contains("error") && d["error"].is_object() ? d["error"].value("message", "") : d.dump();
    std::string et = d.contains("error") && d["error"].is_object() ? d["error"].value("type", "") : "";
    ErrorKind k = et == "overloaded_error" ? ErrorKind::overloaded : et == "rate_limit_error" ? ErrorKind::rate_limit : ErrorKind::server;
    throw ProviderError(k, "upstream stream error: " + msg);
  }
  if (type == "message_start") {
    StreamEvent e{StreamEvent::Kind::start};
    const auto& m = d.value("message", json::object());
    e.response_id = m.value("id", "");
    e.model = m.value("model", "");
    if (m.contains("usage") && m["usage"].is_object()) {
      usage_.input_tokens = m["usage"].value("input_tokens", 0);
      usage_.output_tokens = m["usage"].value("output_tokens", 0);
    }
    return sink(e);
  }
  if (type == "content_block_start") {
    int idx = d.value("index", 0);
    const auto& b = d.value("content_block", json::object());
    std::string bt = b.value("type", "");
    block_type_[idx] = bt;
    if (bt == "tool_use") {
      int ti = static_cast<int>(tool_index_.size());
      tool_index_[idx] = ti;
      StreamEvent e{StreamEvent::Kind::tool_call};
      e.index = ti;
      e.id = b.value("id", "");
      e.name = b.value("name", "");
      return sink(e);
    }
    if (bt == "text" && b.contains("text") && b["text"].is_string() && !b["text"].get<std::string>().empty()) {
      StreamEvent e{StreamEvent::Kind::text};
      e.text = b["text"];
      return sink(e);
    }
    return true;
  }
  if (type == "content_block_delta") {
    int idx = d.value("index", 0);
    const auto& delta = d.value("delta", json::object());
    std::string dt = delta.value("type", "");
    StreamEvent e;
    if (dt == "text_delta") { e.kind = StreamEvent::Kind::text; e.text = delta.value("text", ""); }
    else if (dt == "thinking_delta") { e.kind = StreamEvent::Kind::reasoning; e.text = delta.value("thinking", ""); }
    else if (dt == "input_json_delta") {
      auto it = tool_index_.find(idx);
      if (it == tool_index_.end()) throw ProviderError(ErrorKind::server, "input_json_delta for a block that is not tool_use");
      e.kind = StreamEvent::Kind::tool_call;
      e.index = it->second;
      e.arguments = delta.value("partial_json", "");
    } else {
      return true;  // signature_delta and future delta types carry nothing we model
    }
    return sink(e);
  }
  if (type == "message_delta") {
    const auto& delta = d.value("delta", json::object());
    if (delta.contains("stop_reason") && delta["stop_reason"].is_string()) stop_ = parse_stop(delta["stop_reason"]);
    if (d.contains("usage") && d["usage"].is_object()) {
      if (d["usage"].contains("output_tokens")) usage_.output_tokens = d["usage"].value("output_tokens", 0);
      if (d["usage"].contains("input_tokens")) usage_.input_tokens = d["usage"].value("input_tokens", usage_.input_tokens);
    }
    return true;
  }
  if (type == "message_stop") {
    finished_ = true;
    StreamEvent u{StreamEvent::Kind::usage};
    u.usage = usage_;
    if (!sink(u)) return false;
    StreamEvent f{StreamEvent::Kind::finish};
    f.stop = stop_;
    return sink(f);
  }
  return true;  // ping, content_block_stop
}

void StreamEncoder::open(const std::string& type, int tool, const StreamEvent* e, std::string& out) {
  close(out);
  ++block_;
  cur_type_ = type;
  cur_tool_ = tool;
  json b;
  if (type == "text") b = {{"type", "text"}, {"text", ""}};
  else if (type == "thinking") b = {{"type", "thinking"}, {"thinking", ""}};
  else b = {{"type", "tool_use"}, {"id", e->id}, {"name", e->name}, {"input", json::object()}};
  frame("content_block_start", {{"type", "content_block_start"}, {"index", block_}, {"content_block", b}}, out);
}

void StreamEncoder::close(std::string& out) {
  if (cur_type_.empty()) return;
  frame("content_block_stop", {{"type", "content_block_stop"}, {"index", block_}}, out);
  cur_type_.clear();
}

void StreamEncoder::encode(const StreamEvent& e, std::string& out) {
  if (!started_) {
    started_ = true;
    json msg = {{"id", id_}, {"type", "message"}, {"role", "assistant"}, {"model", model_}, {"content", json::array()},
                {"stop_reason", nullptr}, {"stop_sequence", nullptr},
                {"usage", {{"input_tokens", 0}, {"output_tokens", 0}}}};
    frame("message_start", {{"type", "message_start"}, {"message", msg}}, out);
    frame("ping", {{"type", "ping"}}, out);
  }
  switch (e.kind) {
    case StreamEvent::Kind::start: break;
    case StreamEvent::Kind::text:
      if (cur_type_ != "text") open("text", -1, &e, out);
      frame("content_block_delta", {{"type", "content_block_delta"}, {"index", block_}, {"delta", {{"type", "text_delta"}, {"text", e.text}}}}, out);
      break;
    case StreamEvent::Kind::reasoning:
      if (cur_type_ != "thinking") open("thinking", -1, &e, out);
      frame("content_block_delta", {{"type", "content_block_delta"}, {"index", block_}, {"delta", {{"type", "thinking_delta"}, {"thinking", e.text}}}}, out);
      break;
    case StreamEvent::Kind::tool_call:
      if (cur_type_ != "tool_use" || cur_tool_ != e.index) open("tool_use", e.index, &e, out);
      if (!e.arguments.empty())
        frame("content_block_delta", {{"type", "content_block_delta"}, {"index", block_}, {"delta", {{"type", "input_json_delta"}, {"partial_json", e.arguments}}}}, out);
      break;
    case StreamEvent::Kind::usage: usage_ = e.usage; break;
    case StreamEvent::Kind::finish:
      stop_ = e.stop;
      stop_sequence_ = e.stop_sequence;
      finished_ = true;
      break;
  }
}

void StreamEncoder::finish(std::string& out) {
  if (!started_) encode(StreamEvent{StreamEvent::Kind::start}, out);
  if (block_ < 0) open("text", -1, nullptr, out);  // clients expect at least one content block
  close(out);
  frame("message_delta", {{"type", "message_delta"},
                          {"delta", {{"stop_reason", stop_reason_of(stop_, stop_sequence_)},
                                     {"stop_sequence", stop_sequence_.empty() ? json(nullptr) : json(stop_sequence_)}}},
                          {"usage", {{"input_tokens", usage_.input_tokens}, {"output_tokens", usage_.output_tokens}}}}, out);
  frame("message_stop", {{"type", "message_stop"}}, out);
}

}  // namespace hearth::router::anthropic
