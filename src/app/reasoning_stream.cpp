#include "app/reasoning_stream.h"

namespace hearth::app {

using router::StreamEvent;

// Reasoning first, then text; `carrying` lends the text event its logprobs.
bool ReasoningStream::send(const engine::ReasoningSplitter::Parts& p, const StreamEvent* carrying) {
  if (!p.reasoning.empty()) {
    StreamEvent r;
    r.kind = StreamEvent::Kind::reasoning;
    r.text = p.reasoning;
    if (!out_(r)) return false;
  }
  if (!p.text.empty() || (carrying && !carrying->logprobs.empty())) {
    StreamEvent t = carrying ? *carrying : StreamEvent{};
    t.kind = StreamEvent::Kind::text;
    t.text = p.text;
    return out_(t);
  }
  return true;
}

bool ReasoningStream::operator()(const StreamEvent& e) {
  if (e.kind == StreamEvent::Kind::text && !e.echo) return send(split_.push(e.text), &e);
  if ((e.kind == StreamEvent::Kind::usage || e.kind == StreamEvent::Kind::finish) && !flushed_) {
    flushed_ = true;
    if (!send(split_.flush(), nullptr)) return false;
  }
  return out_(e);
}

}  // namespace hearth::app
