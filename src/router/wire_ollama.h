// Ollama /api/chat wire format (NDJSON streaming), both directions.
#pragma once
#include <string>

#include "router/types.h"

namespace hearth::router::ollama {

json request_to_json(const ChatRequest& req, bool stream);
// Returns the request and whether the client asked to stream (Ollama's default is true).
ChatRequest request_from_json(const json& j, bool* stream);

// One NDJSON line of a /api/chat reply into events; sets *done on the final line.
bool decode_line(const json& j, const StreamSink& sink, int* tool_calls, bool* started, bool* done);

// Events into NDJSON lines (for the gateway).
class LineEncoder {
 public:
  explicit LineEncoder(std::string model) : model_(std::move(model)) {}
  void encode(const StreamEvent& e, std::string& out);
  void finish(std::string& out);

 private:
  std::string model_;
  Usage usage_;
  StopReason stop_ = StopReason::stop;
  std::vector<ToolCall> calls_;  // Ollama sends tool calls whole, so fragments are held until done
};

json response_to_json(const ChatResponse& r, const std::string& model);

}  // namespace hearth::router::ollama
