// Reads a harmony reply (gpt-oss) as it streams: the analysis channel becomes reasoning events,
// the final channel (and commentary without a recipient) text, and a message addressed to a
// function passes on as one canonical call ("<|channel|>commentary to=functions.NAME
// <|constrain|>json<|message|>ARGS") for the tool-call parser after it. The structure tokens
// themselves never reach the client.
#pragma once
#include <string>
#include <vector>

#include "router/types.h"

namespace hearth::app {

class HarmonyStream {
 public:
  // calls: the request has tools, so function messages go on as calls (else as text).
  HarmonyStream(bool calls, router::StreamSink out) : calls_(calls), out_(std::move(out)) {}
  bool operator()(const router::StreamEvent& e);

 private:
  // Sends what became certain in the first `upto` bytes; `carrying` lends its logprobs.
  bool send(size_t upto, const router::StreamEvent* carrying);
  bool calls_;
  router::StreamSink out_;
  std::string all_;
  struct Sent {
    size_t body = 0;       // bytes of the message's body passed on
    bool started = false;  // its first bytes (or a call's header) went out
  };
  std::vector<Sent> sent_;  // per message of the reply
  bool any_text_ = false, flushed_ = false;
};

}  // namespace hearth::app
