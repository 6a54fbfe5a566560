// Anthropic Messages wire format, both directions (provider and gateway).
#pragma once
#include <map>
#include <string>

#include "router/types.h"

namespace hearth::router::anthropic {

json request_to_json(const ChatRequest& req, bool stream);
ChatRequest request_from_json(const json& j);
json response_to_json(const ChatResponse& r, const std::string& model);
ChatResponse response_from_json(const json& j);
StopReason parse_stop(const std::string& s);
const char* stop_name(StopReason r);
std::string stop_reason_of(StopReason r, const std::string& stop_sequence);
// Anthropic's error shape and error type names for an error kind.
json error_body(ErrorKind k, const std::string& message);

class StreamDecoder {
 public:
  bool feed(const std::string& event, const json& data, const StreamSink& sink);
  bool finished() const { return finished_; }

 private:
  bool finished_ = false;
  Usage usage_;
  std::map<int, int> tool_index_;  // content block index -> tool call index
  std::map<int, std::string> block_type_;
  StopReason stop_ = StopReason::stop;
};

// Events to SSE frames: message_start, ping, content blocks, message_delta, message_stop.
class StreamEncoder {
 public:
  StreamEncoder(std::string id, std::string model) : id_(std::move(id)), model_(std::move(model)) {}
  void encode(const StreamEvent& e, std::string& out);
  void finish(std::string& out);

 private:
  void open(const std::string& type, int tool, const StreamEvent* e, std::string& out);
  void close(std::string& out);
  std::string id_, model_;
  bool started_ = false;
  std::string cur_type_;  // "" = no open block
  int cur_tool_ = -1;
  int block_ = -1;
  Usage usage_;
  StopReason stop_ = StopReason::stop;
  std::string stop_sequence_;
  bool finished_ = false;
};

}  // namespace hearth::router::anthropic
