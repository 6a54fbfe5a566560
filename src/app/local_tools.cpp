#include "app/local_tools.h"

#include <map>
#include <random>

namespace hearth::app {

using router::StreamEvent;

std::vector<engine::ChatMessage> engine_messages(const std::vector<router::Message>& in) {
  std::vector<engine::ChatMessage> out;
  std::map<std::string, std::string> call_names;  // call id -> tool name
  for (const auto& m : in) {
    engine::ChatMessage c{router::role_name(m.role), m.content};
    for (const auto& tc : m.tool_calls) {
      c.tool_calls.push_back({tc.id, tc.name, tc.arguments.empty() ? "{}" : tc.arguments});
      call_names[tc.id] = tc.name;
    }
    c.tool_call_id = m.tool_call_id;
    c.reasoning = m.reasoning;
    c.name = m.name;
    if (m.role == router::Role::tool && c.name.empty())
      if (auto it = call_names.find(m.tool_call_id); it != call_names.end()) c.name = it->second;
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<engine::ToolSpec> engine_tools(const std::vector<router::ToolDef>& tools) {
  std::vector<engine::ToolSpec> out;
  for (const auto& t : tools) out.push_back({t.name, t.description, ordered_json(t.parameters)});
  try {
    engine::validate_tools(out);
  } catch (const Error& e) {
    throw router::ProviderError(router::ErrorKind::bad_request, e.what(), 400).with_param("tools");
  }
  return out;
}

engine::ToolChoice engine_tool_choice(const router::ChatRequest& req) {
  engine::ToolChoice c;
  c.parallel = req.parallel_tool_calls.value_or(true);
  const json& tc = req.tool_choice;
  if (tc.is_null() || tc == "auto") return c;
  if (tc == "none") c.mode = engine::ToolMode::none;
  else if (tc == "required") c.mode = engine::ToolMode::required;
  else if (tc.is_object() && tc.contains("name") && tc["name"].is_string()) {
    c.mode = engine::ToolMode::named;
    c.name = tc["name"];
    bool known = false;
    for (const auto& t : req.tools) known = known || t.name == c.name;
    if (!known) throw router::bad_field("tool_choice", "names '" + c.name + "', which is not among the tools");
  } else {
    throw router::bad_field("tool_choice", "must be \"auto\", \"none\", \"required\" or name a function");
  }
  return c;
}

ToolCallStream::ToolCallStream(engine::ToolSyntax syntax, std::vector<engine::ToolSpec> tools, router::StreamSink out)
    : syntax_(syntax), tools_(std::move(tools)), out_(std::move(out)), id_state_(std::random_device{}()) {
  id_state_ = (id_state_ << 32) ^ std::random_device{}();
}

bool ToolCallStream::flush() {
  if (flushed_) return true;
  flushed_ = true;
  const engine::ParsedReply r = engine::parse_tool_calls(syntax_, all_, tools_);
  if (r.calls.empty()) {
    if (sent_ < all_.size()) {
      StreamEvent t;
      t.kind = StreamEvent::Kind::text;
      t.text = all_.substr(sent_);
      if (!out_(t)) return false;
    }
    return true;
  }
  // Text already sent is the start of the content; what follows the calls goes out now.
  const std::string sent = all_.substr(0, sent_);
  const size_t b = sent.find_first_not_of(" \t\r\n");
  const std::string lead = b == std::string::npos ? "" : sent.substr(b, sent.find_last_not_of(" \t\r\n") + 1 - b);
  if (r.content.size() > lead.size() && r.content.compare(0, lead.size(), lead) == 0) {
    StreamEvent t;
    t.kind = StreamEvent::Kind::text;
    t.text = (lead.empty() ? "" : "\n") + r.content.substr(lead.size());
    if (!out_(t)) return false;
  }
  for (size_t i = 0; i < r.calls.size(); ++i) {
    StreamEvent c;
    c.kind = StreamEvent::Kind::tool_call;
    c.index = static_cast<int>(i);
    c.id = engine::new_tool_call_id(syntax_, id_state_);
    c.name = r.calls[i].name;
    c.arguments = r.calls[i].arguments;
    if (!out_(c)) return false;
  }
  called_ = true;
  return true;
}

bool ToolCallStream::operator()(const StreamEvent& e) {
  if (e.kind == StreamEvent::Kind::text && !e.echo) {
    all_ += e.text;
    StreamEvent t = e;
    t.text.clear();
    // Text up to a call marker (or a trailing piece that may grow into one) goes out now; once a
    // marker is there it stays first in what is held, so the rest waits for the end.
    const size_t at = engine::tool_call_start(syntax_, std::string_view(all_).substr(sent_));
    const size_t upto = at == std::string::npos ? all_.size() : sent_ + at;
    t.text = all_.substr(sent_, upto - sent_);
    sent_ = upto;
    if (t.text.empty() && t.logprobs.empty()) return true;
    return out_(t);
  }
  if (e.kind == StreamEvent::Kind::usage || e.kind == StreamEvent::Kind::finish) {
    if (!flush()) return false;
    if (e.kind == StreamEvent::Kind::finish && called_ && e.stop == router::StopReason::stop) {
      StreamEvent f = e;
      f.stop = router::StopReason::tool_calls;
      return out_(f);
    }
  }
  return out_(e);
}

}  // namespace hearth::app
