#include "router/wire_responses.h"

#include "router/wire_logprobs.h"

namespace hearth::router::responses {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& what) { throw bad_field(field, what); }

// Text of a content value: a string, or input_text/output_text/text parts (images are noted).
std::string content_text(const json& c, const std::string& where, std::vector<std::string>* images) {
  if (c.is_null()) return "";
  if (c.is_string()) return c.get<std::string>();
  if (!c.is_array()) bad(where, "must be a string or an array of content parts");
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) {
    const json& p = c[i];
    const std::string pw = where + "[" + std::to_string(i) + "]";
    if (!p.is_object()) bad(pw, "must be an object");
    const std::string type = string_field(p, "type", pw);
    if (type == "input_text" || type == "output_text" || type == "text" || type == "summary_text" || type == "reasoning_text") {
      out += string_field(p, "text", pw);
    } else if (type == "input_image" || type == "input_file") {
      images->push_back(pw);
    } else if (type != "refusal") {
      bad(pw + ".type", "'" + type + "' is not a content part hearth reads");
    }
  }
  return out;
}

Role item_role(const std::string& r, const std::string& where) {
  if (r == "user") return Role::user;
  if (r == "assistant") return Role::assistant;
  if (r == "system" || r == "developer") return Role::system;
  bad(where, "must be user, assistant, system or developer");
}

// Input items to messages. Function calls join the assistant message before them (or start one);
// their outputs become tool messages.
std::vector<Message> input_messages(const json& input, std::vector<std::string>* images) {
  std::vector<Message> out;
  if (input.is_string()) {
    out.push_back({Role::user, input.get<std::string>()});
    return out;
  }
  if (!input.is_array()) bad("input", "must be a string or an array of items");
  for (size_t i = 0; i < input.size(); ++i) {
    const json& it = input[i];
    const std::string where = "input[" + std::to_string(i) + "]";
    if (!it.is_object()) bad(where, "must be an object");
    const std::string type = string_field(it, "type", where, "message");
    if (type == "message") {
      Message m;
      m.role = item_role(string_field(it, "role", where), where + ".role");
      m.content = content_text(it.value("content", json()), where + ".content", images);
      out.push_back(std::move(m));
    } else if (type == "function_call") {
      ToolCall c{string_field(it, "call_id", where), string_field(it, "name", where), string_field(it, "arguments", where, "{}")};
      if (c.id.empty() || c.name.empty()) bad(where, "a function_call needs call_id and name");
      if (out.empty() || out.back().role != Role::assistant) out.push_back({Role::assistant, ""});
      out.back().tool_calls.push_back(std::move(c));
    } else if (type == "function_call_output") {
      Message t{Role::tool};
      t.tool_call_id = string_field(it, "call_id", where);
      if (t.tool_call_id.empty()) bad(where + ".call_id", "is required");
      const json& o = it.value("output", json(""));
      t.content = o.is_string() ? o.get<std::string>() : content_text(o, where + ".output", images);
      for (auto m = out.rbegin(); m != out.rend() && t.name.empty(); ++m)
        for (const auto& c : m->tool_calls)
          if (c.id == t.tool_call_id) t.name = c.name;
      out.push_back(std::move(t));
    } else if (type == "reasoning") {
      // Earlier reasoning: kept with the assistant turn it belongs to.
      std::string text = content_text(it.value("content", json::array()), where + ".content", images);
      if (text.empty()) text = content_text(it.value("summary", json::array()), where + ".summary", images);
      out.push_back({Role::assistant, ""});
      out.back().reasoning = text;
    } else {
      bad(where + ".type", "'" + type + "' items are not supported (message, function_call, function_call_output, reasoning)");
    }
  }
  // A reasoning item followed by the assistant message it belongs to becomes one message.
  std::vector<Message> merged;
  for (auto& m : out) {
    if (!merged.empty() && merged.back().role == Role::assistant && m.role == Role::assistant &&
        merged.back().content.empty() && merged.back().tool_calls.empty()) {
      m.reasoning = merged.back().reasoning + m.reasoning;
      merged.back() = std::move(m);
      continue;
    }
    merged.push_back(std::move(m));
  }
  return merged;
}

}  // namespace

Request parse_request(const json& j) {
  if (!j.is_object()) throw ProviderError(ErrorKind::bad_request, "request body must be a JSON object");
  Request q;
  ChatRequest& c = q.chat;
  c.model = string_field(j, "model", "model");
  if (!j.contains("input")) bad("input", "is required");
  q.input = input_messages(j["input"], &c.image_inputs);
  q.instructions = string_field(j, "instructions", "instructions");
  q.previous_response_id = string_field(j, "previous_response_id", "previous_response_id");
  auto boolean = [&](const char* k, bool fallback) {
    if (!j.contains(k) || j[k].is_null()) return fallback;
    if (!j[k].is_boolean()) bad(k, "must be a boolean");
    return j[k].get<bool>();
  };
  q.store = boolean("store", true);
  q.stream = boolean("stream", false);
  if (j.contains("parallel_tool_calls") && !j["parallel_tool_calls"].is_null())
    c.parallel_tool_calls = boolean("parallel_tool_calls", true);
  if (j.contains("max_output_tokens") && !j["max_output_tokens"].is_null()) {
    if (!j["max_output_tokens"].is_number_integer() || j["max_output_tokens"].get<int64_t>() < 1)
      bad("max_output_tokens", "must be a positive integer");
    c.max_tokens = static_cast<int>(std::min<int64_t>(j["max_output_tokens"].get<int64_t>(), 1 << 24));
  }
  for (const char* k : {"temperature", "top_p"})
    if (j.contains(k) && !j[k].is_null()) {
      if (!j[k].is_number()) bad(k, "must be a number");
      (std::string(k) == "temperature" ? c.temperature : c.top_p) = j[k].get<double>();
    }
  if (j.contains("tools") && !j["tools"].is_null()) {
    if (!j["tools"].is_array()) bad("tools", "must be an array");
    for (size_t i = 0; i < j["tools"].size(); ++i) {
      const json& t = j["tools"][i];
      const std::string where = "tools[" + std::to_string(i) + "]";
      if (!t.is_object()) bad(where, "must be an object");
      const std::string type = string_field(t, "type", where);
      if (type != "function") bad(where + ".type", "'" + type + "' tools are not supported (only function tools)");
      const std::string name = string_field(t, "name", where);
      if (name.empty()) bad(where + ".name", "is required");
      const json params = t.contains("parameters") && t["parameters"].is_object() ? t["parameters"] : json::object();
      c.tools.push_back({name, string_field(t, "description", where), params});
    }
  }
  if (j.contains("tool_choice") && !j["tool_choice"].is_null()) {
    const json& tc = j["tool_choice"];
    if (tc.is_string()) {
      const std::string s = tc;
      if (s != "auto" && s != "none" && s != "required") bad("tool_choice", "must be auto, none, required or a function");
      c.tool_choice = s;
    } else if (tc.is_object() && string_field(tc, "type", "tool_choice") == "function") {
      c.tool_choice = {{"name", string_field(tc, "name", "tool_choice")}};
    } else {
      bad("tool_choice", "must be auto, none, required or {\"type\": \"function\", \"name\": ...}");
    }
  }
  if (j.contains("text") && j["text"].is_object() && j["text"].contains("format")) {
    const json& f = j["text"]["format"];
    if (!f.is_object()) bad("text.format", "must be an object");
    const std::string type = string_field(f, "type", "text.format");
    if (type == "json_object") {
      c.format.json = true;
      c.format.field = "text.format";
    } else if (type == "json_schema") {
      if (!f.contains("schema") || !f["schema"].is_object()) bad("text.format.schema", "is required and must be an object");
      c.format.json = true;
      c.format.schema = ordered_json(f["schema"]);
      c.format.schema_name = string_field(f, "name", "text.format");
      if (f.contains("strict") && !f["strict"].is_null() && !f["strict"].is_boolean())
        bad("text.format.strict", "must be a boolean");
      c.format.strict = f.contains("strict") && f["strict"].is_boolean() && f["strict"].get<bool>();
      c.format.field = "text.format.schema";
    } else if (type != "text") {
      bad("text.format.type", "must be text, json_object or json_schema");
    }
  }
  if (j.contains("reasoning") && j["reasoning"].is_object() && j["reasoning"].contains("effort") &&
      !j["reasoning"]["effort"].is_null()) {
    const std::string e = string_field(j["reasoning"], "effort", "reasoning");
    if (e != "none" && e != "minimal" && e != "low" && e != "medium" && e != "high")
      bad("reasoning.effort", "must be none, minimal, low, medium or high");
    c.thinking = e != "none";
    if (e != "none") c.reasoning_effort = e == "minimal" ? "low" : e;
  }
  for (const char* k : {"instructions", "tools", "tool_choice", "parallel_tool_calls", "temperature", "top_p",
                        "max_output_tokens", "text", "metadata", "reasoning", "previous_response_id", "store"})
    if (j.contains(k)) q.echo[k] = j[k];
  return q;
}

json response_json(const std::string& id, long created_at, const Request& q, const ChatResponse* r, const std::string& status) {
  json out = json::array();
  if (r) {
    int n = 0;
    const std::string tail = id.substr(5);
    if (!r->message.reasoning.empty())
      out.push_back({{"type", "reasoning"}, {"id", "rs_" + tail + "_" + std::to_string(n++)}, {"summary", json::array()},
                     {"content", json::array({{{"type", "reasoning_text"}, {"text", r->message.reasoning}}})}});
    if (!r->message.content.empty() || r->message.tool_calls.empty())
      out.push_back({{"type", "message"}, {"id", "msg_" + tail + "_" + std::to_string(n++)}, {"status", "completed"},
                     {"role", "assistant"},
                     {"content", json::array({{{"type", "output_text"}, {"text", r->message.content}, {"annotations", json::array()}}})}});
    for (const auto& c : r->message.tool_calls)
      out.push_back({{"type", "function_call"}, {"id", "fc_" + tail + "_" + std::to_string(n++)}, {"call_id", c.id},
                     {"name", c.name}, {"arguments", c.arguments}, {"status", "completed"}});
  }
  json j = {{"id", id}, {"object", "response"}, {"created_at", created_at}, {"status", status},
            {"model", r && !r->model.empty() ? r->model : q.chat.model}, {"output", out}, {"error", nullptr},
            {"incomplete_details", status == "incomplete" ? json{{"reason", "max_output_tokens"}} : json(nullptr)},
            {"instructions", nullptr}, {"metadata", json::object()}, {"parallel_tool_calls", true},
            {"previous_response_id", nullptr}, {"store", q.store}, {"temperature", nullptr}, {"top_p", nullptr},
            {"tool_choice", "auto"}, {"tools", json::array()}, {"max_output_tokens", nullptr},
            {"text", {{"format", {{"type", "text"}}}}}, {"usage", nullptr}};
  for (auto it = q.echo.begin(); it != q.echo.end(); ++it) j[it.key()] = it.value();
  if (r) {
    const Usage& u = r->usage;
    j["usage"] = {{"input_tokens", u.input_tokens},
                  {"input_tokens_details", {{"cached_tokens", u.cached_tokens}}},
                  {"output_tokens", u.output_tokens},
                  {"output_tokens_details", {{"reasoning_tokens", 0}}},
                  {"total_tokens", u.input_tokens + u.output_tokens}};
  }
  return j;
}

void StreamEncoder::emit(const std::string& type, json body, std::string& out) {
  body["type"] = type;
  body["sequence_number"] = seq_++;
  out += "event: " + type + "\ndata: " + openai::dump(body) + "\n\n";
}

void StreamEncoder::begin(std::string& out) {
  const json r = response_json(id_, created_, q_, nullptr, "in_progress");
  emit("response.created", {{"response", r}}, out);
  emit("response.in_progress", {{"response", r}}, out);
}

void StreamEncoder::open(const std::string& kind, std::string& out, const StreamEvent* call) {
  close(out);
  kind_ = kind;
  index_ = items_++;
  text_.clear();
  const std::string tail = id_.substr(5) + "_" + std::to_string(index_);
  if (kind == "reasoning") {
    item_id_ = "rs_" + tail;
    emit("response.output_item.added",
         {{"output_index", index_}, {"item", {{"type", "reasoning"}, {"id", item_id_}, {"summary", json::array()}, {"content", json::array()}}}}, out);
  } else if (kind == "message") {
    item_id_ = "msg_" + tail;
    emit("response.output_item.added",
         {{"output_index", index_},
          {"item", {{"type", "message"}, {"id", item_id_}, {"status", "in_progress"}, {"role", "assistant"}, {"content", json::array()}}}}, out);
    emit("response.content_part.added",
         {{"item_id", item_id_}, {"output_index", index_}, {"content_index", 0},
          {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}}}}, out);
  } else {
    item_id_ = "fc_" + tail;
    call_ = {{"type", "function_call"}, {"id", item_id_}, {"call_id", call->id}, {"name", call->name}, {"arguments", ""}, {"status", "in_progress"}};
    emit("response.output_item.added", {{"output_index", index_}, {"item", call_}}, out);
  }
}

void StreamEncoder::close(std::string& out) {
  if (kind_.empty()) return;
  if (kind_ == "reasoning") {
    emit("response.reasoning_text.done", {{"item_id", item_id_}, {"output_index", index_}, {"content_index", 0}, {"text", text_}}, out);
    emit("response.output_item.done",
         {{"output_index", index_},
          {"item", {{"type", "reasoning"}, {"id", item_id_}, {"summary", json::array()},
                    {"content", json::array({{{"type", "reasoning_text"}, {"text", text_}}})}}}}, out);
  } else if (kind_ == "message") {
    const json part = {{"type", "output_text"}, {"text", text_}, {"annotations", json::array()}};
    emit("response.output_text.done", {{"item_id", item_id_}, {"output_index", index_}, {"content_index", 0}, {"text", text_}}, out);
    emit("response.content_part.done", {{"item_id", item_id_}, {"output_index", index_}, {"content_index", 0}, {"part", part}}, out);
    emit("response.output_item.done",
         {{"output_index", index_},
          {"item", {{"type", "message"}, {"id", item_id_}, {"status", "completed"}, {"role", "assistant"}, {"content", json::array({part})}}}}, out);
  } else {
    call_["arguments"] = text_;
    call_["status"] = "completed";
    emit("response.function_call_arguments.done", {{"item_id", item_id_}, {"output_index", index_}, {"arguments", text_}}, out);
    emit("response.output_item.done", {{"output_index", index_}, {"item", call_}}, out);
  }
  kind_.clear();
}

void StreamEncoder::encode(const StreamEvent& e, std::string& out) {
  acc_.add(e);
  switch (e.kind) {
    case StreamEvent::Kind::reasoning:
      if (e.text.empty()) break;
      if (kind_ != "reasoning") open("reasoning", out, nullptr);
      text_ += e.text;
      emit("response.reasoning_text.delta", {{"item_id", item_id_}, {"output_index", index_}, {"content_index", 0}, {"delta", e.text}}, out);
      break;
    case StreamEvent::Kind::text:
      if (e.text.empty() || e.echo) break;
      if (kind_ != "message") open("message", out, nullptr);
      text_ += e.text;
      emit("response.output_text.delta",
           {{"item_id", item_id_}, {"output_index", index_}, {"content_index", 0}, {"delta", e.text}, {"logprobs", json::array()}}, out);
      break;
    case StreamEvent::Kind::tool_call:
      // A fragment with an id (or a name) starts a call; the others continue the open one.
      if (kind_ != "function_call" || !e.id.empty()) open("function_call", out, &e);
      if (!e.arguments.empty()) {
        text_ += e.arguments;
        emit("response.function_call_arguments.delta", {{"item_id", item_id_}, {"output_index", index_}, {"delta", e.arguments}}, out);
      }
      break;
    default: break;
  }
}

json StreamEncoder::finish(std::string& out, ChatResponse* joined) {
  close(out);
  ChatResponse r = acc_.take();
  const std::string status = r.stop == StopReason::length ? "incomplete" : "completed";
  json resp = response_json(id_, created_, q_, &r, status);
  emit(status == "completed" ? "response.completed" : "response.incomplete", {{"response", resp}}, out);
  if (joined) *joined = std::move(r);
  return resp;
}

void StreamEncoder::error(const ProviderError& e, std::string& out) {
  emit("error", {{"code", error_kind_name(e.kind())}, {"message", e.what()}, {"param", e.param().empty() ? json(nullptr) : json(e.param())}}, out);
}

}  // namespace hearth::router::responses
