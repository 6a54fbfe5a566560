// Wire-format scripts for the fake upstreams: canned replies in each provider's real format.
#pragma once
#include <string>
#include <vector>

#include "core/json.h"
#include "fake_upstream.h"

namespace hearth::test {

inline std::string sse_data(const json& j) { return "data: " + j.dump() + "\n\n"; }

inline json oa_chunk(const json& delta, const json& finish = nullptr) {
  return {{"id", "chatcmpl-1"}, {"object", "chat.completion.chunk"}, {"created", 1}, {"model", "up"},
          {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
}

// An OpenAI-compatible reply of `text` (streamed word by word when the request asks to stream).
inline void openai_reply(const httplib::Request& req, httplib::Response& res, const std::string& text, int drop_after = -1) {
  auto body = json::parse(req.body);
  if (body.value("stream", false)) {
    std::vector<std::string> frames = {sse_data(oa_chunk({{"role", "assistant"}, {"content", ""}}))};
    size_t pos = 0;
    while (pos < text.size()) {
      size_t n = std::min<size_t>(3, text.size() - pos);
      frames.push_back(sse_data(oa_chunk({{"content", text.substr(pos, n)}})));
      pos += n;
    }
    frames.push_back(sse_data(oa_chunk(json::object(), "stop")));
    frames.push_back(sse_data({{"id", "chatcmpl-1"}, {"object", "chat.completion.chunk"}, {"choices", json::array()},
                               {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 4}, {"total_tokens", 14}}}}));
    frames.push_back("data: [DONE]\n\n");
    FakeUpstream::stream(res, "text/event-stream", frames, drop_after);
    return;
  }
  json r = {{"id", "chatcmpl-1"}, {"object", "chat.completion"}, {"model", body.value("model", "")},
            {"choices", json::array({{{"index", 0}, {"message", {{"role", "assistant"}, {"content", text}}}, {"finish_reason", "stop"}}})},
            {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 4}, {"total_tokens", 14}}}};
  res.set_content(r.dump(), "application/json");
}

inline void openai_error(httplib::Response& res, int status, const std::string& msg, const std::string& retry_after = "") {
  res.status = status;
  if (!retry_after.empty()) res.set_header("retry-after", retry_after);
  res.set_content(json{{"error", {{"message", msg}, {"type", "x"}, {"code", nullptr}}}}.dump(), "application/json");
}

}  // namespace hearth::test
