// Splits a local model's <think> block out of its reply stream: reasoning deltas become
// reasoning events, the rest stays text (and goes on to tool-call parsing, if any).
#pragma once
#include "engine/reasoning.h"
#include "router/types.h"

namespace hearth::app {

class ReasoningStream {
 public:
  ReasoningStream(bool starts_inside, router::StreamSink out) : split_(starts_inside), out_(std::move(out)) {}
  bool operator()(const router::StreamEvent& e);

 private:
  bool send(const engine::ReasoningSplitter::Parts& p, const router::StreamEvent* carrying);
  engine::ReasoningSplitter split_;
  router::StreamSink out_;
  bool flushed_ = false;
};

}  // namespace hearth::app
