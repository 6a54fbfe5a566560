// OpenAI Responses API wire format (POST /v1/responses): input items to the canonical chat,
// the canonical reply to a response object with output items, and the typed stream events
// (response.created ... response.completed).
#pragma once
#include <functional>
#include <string>

#include "router/types.h"

namespace hearth::router::responses {

struct Request {
  ChatRequest chat;                  // the new input only; the caller prepends stored history
  std::vector<Message> input;        // the new input items as messages (no instructions)
  std::string instructions;          // becomes the system message of this request only
  std::string previous_response_id;
  bool store = true;
  bool stream = false;
  json echo = json::object();        // request fields the response object repeats
};
// Throws ProviderError(bad_request) naming the field.
Request parse_request(const json& body);

// The response object. status: "in_progress", "completed" or "incomplete".
json response_json(const std::string& id, long created_at, const Request& q, const ChatResponse* r,
                   const std::string& status);

// Stream events as SSE frames ("event: TYPE\ndata: {...}\n\n").
class StreamEncoder {
 public:
  StreamEncoder(std::string id, long created_at, const Request& q) : id_(std::move(id)), created_(created_at), q_(q) {}
  void begin(std::string& out);  // response.created, response.in_progress
  void encode(const StreamEvent& e, std::string& out);
  // Closes the open item and sends response.completed (or response.incomplete); returns the
  // final response object and the joined reply.
  json finish(std::string& out, ChatResponse* joined);
  void error(const ProviderError& e, std::string& out);

 private:
  void emit(const std::string& type, json body, std::string& out);
  void open(const std::string& kind, std::string& out, const StreamEvent* call);
  void close(std::string& out);
  std::string id_;
  long created_;
  const Request& q_;
  Accumulator acc_;
  int seq_ = 0;
  int index_ = -1;           // output index of the open item
  std::string kind_;         // "", "reasoning", "message" or "function_call"
  std::string item_id_;
  std::string text_;         // the open item's text or arguments so far
  json call_;                // the open function_call item
  int items_ = 0;
};

}  // namespace hearth::router::responses
