// Tool calls for the in-process engine: the router's tools and tool choice become the engine's,
// and a filter between the engine's events and the caller turns the call text the model writes
// into tool-call events (the text before a call streams as it comes; the call is held until it
// is complete, so a client never sees half a call as text).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/chat_format.h"
#include "engine/tool_calls.h"
#include "router/types.h"

namespace hearth::app {

// The conversation in the engine's terms (a tool result without a name takes it from the call it
// answers, as Anthropic's tool_result blocks carry only the id).
std::vector<engine::ChatMessage> engine_messages(const std::vector<router::Message>& in);

// Tools and choice checked (400 naming the field on a bad name, schema or choice).
std::vector<engine::ToolSpec> engine_tools(const std::vector<router::ToolDef>& tools);
engine::ToolChoice engine_tool_choice(const router::ChatRequest& req);

class ToolCallStream {
 public:
  ToolCallStream(engine::ToolSyntax syntax, std::vector<engine::ToolSpec> tools, router::StreamSink out);
  // Pass every event of the reply through this.
  bool operator()(const router::StreamEvent& e);

 private:
  bool flush();
  engine::ToolSyntax syntax_;
  std::vector<engine::ToolSpec> tools_;
  router::StreamSink out_;
  std::string all_;      // the reply's text so far
  size_t sent_ = 0;      // bytes of all_ passed on as text
  bool flushed_ = false;
  bool called_ = false;  // the reply made at least one call
  uint64_t id_state_;
};

}  // namespace hearth::app
