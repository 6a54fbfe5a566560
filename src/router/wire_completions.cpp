#include "router/wire_completions.h"

#include "router/wire_logprobs.h"
#include "router/wire_openai.h"

namespace hearth::router::openai {

json completion_request_to_json(const CompletionRequest& req, bool stream) {
  json j = {{"model", req.model}, {"prompt", req.prompt}};
  if (req.max_tokens) j["max_tokens"] = *req.max_tokens;
  if (req.temperature) j["temperature"] = *req.temperature;
  if (req.top_p) j["top_p"] = *req.top_p;
  if (!req.stop.empty()) j["stop"] = req.stop;
  if (req.echo) j["echo"] = true;
  SamplingOptions s = req.sampling;
  bool lp = s.logprobs;
  s.logprobs = false;  // the legacy API spells it "logprobs": N, not a flag plus top_logprobs
  add_sampling(s, j);
  if (lp) j["logprobs"] = s.top_logprobs;
  if (stream) {
    j["stream"] = true;
    j["stream_options"] = {{"include_usage", true}};
  }
  return j;
}

bool CompletionDecoder::emit(std::string text, std::vector<TokenLogprob> lps, bool echo, const StreamSink& sink) {
  if (text.empty() && lps.empty()) return true;
  StreamEvent e{StreamEvent::Kind::text};
  e.text = std::move(text);
  e.logprobs = std::move(lps);
  e.echo = echo;
  return sink(e);
}

bool CompletionDecoder::feed(const json& chunk, const StreamSink& sink) {
  if (!begin(chunk, "completion chunk", sink)) return false;
  if (chunk.contains("choices") && chunk["choices"].is_array() && !chunk["choices"].empty()) {
    const auto& c = chunk["choices"][0];
    std::string text = c.contains("text") && c["text"].is_string() ? c["text"].get<std::string>() : "";
    auto lps = c.contains("logprobs") ? legacy_logprobs_from_json(c["logprobs"]) : std::vector<TokenLogprob>{};
    if (!lps.empty()) {
      // Split by token: those starting inside the prompt are the echo.
      std::string part;
      std::vector<TokenLogprob> group;
      bool group_echo = seen_ < prompt_;
      for (auto& t : lps) {
        bool echo = seen_ < prompt_;
        if (echo != group_echo) {
          if (!emit(std::move(part), std::move(group), group_echo, sink)) return false;
          part.clear();
          group.clear();
          group_echo = echo;
        }
        seen_ += t.token.size();
        part += t.token;
        group.push_back(std::move(t));
      }
      if (!emit(std::move(part), std::move(group), group_echo, sink)) return false;
    } else if (!text.empty()) {
      size_t echo_bytes = seen_ < prompt_ ? std::min(prompt_ - seen_, text.size()) : 0;
      seen_ += text.size();
      if (!emit(text.substr(0, echo_bytes), {}, true, sink)) return false;
      if (!emit(text.substr(echo_bytes), {}, false, sink)) return false;
    }
    hold_finish(c);
  }
  return usage(chunk, sink);
}

json completion_response_to_json(const ChatResponse& r, const std::string& id, const std::string& model, bool logprobs) {
  json choice = {{"text", r.message.content}, {"index", 0}, {"finish_reason", finish_name(r.stop)},
                 {"logprobs", logprobs ? legacy_logprobs_json(r.logprobs, 0) : json(nullptr)}};
  return {{"id", id}, {"object", "text_completion"}, {"created", static_cast<long>(time(nullptr))}, {"model", model},
          {"choices", json::array({choice})}, {"usage", usage_json(r.usage)}};
}

json CompletionEncoder::chunk(const std::string& text, json logprobs, json finish) const {
  return {{"id", id_}, {"object", "text_completion"}, {"created", created_}, {"model", model_},
          {"choices", json::array({{{"text", text}, {"index", 0}, {"logprobs", std::move(logprobs)}, {"finish_reason", std::move(finish)}}})}};
}

void CompletionEncoder::encode(const StreamEvent& e, std::string& out) {
  switch (e.kind) {
    case StreamEvent::Kind::text:
      frame(chunk(e.text, e.logprobs.empty() ? json(nullptr) : legacy_logprobs_json(e.logprobs, offset_), nullptr), out);
      offset_ += e.text.size();
      break;
    case StreamEvent::Kind::usage: u_ = e.usage; break;
    case StreamEvent::Kind::finish: frame(chunk("", nullptr, finish_name(e.stop)), out); break;
    default: break;  // completions have no role chunk, reasoning or tool calls
  }
}

void CompletionEncoder::finish(std::string& out) {
  if (usage_)
    frame({{"id", id_}, {"object", "text_completion"}, {"created", created_}, {"model", model_},
           {"choices", json::array()}, {"usage", usage_json(u_)}},
          out);
  out += "data: [DONE]\n\n";
}

}  // namespace hearth::router::openai
