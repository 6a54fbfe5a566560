#include "app/harmony_stream.h"

#include <algorithm>

#include "core/error.h"
#include "engine/tool_calls.h"

namespace hearth::app {

using router::StreamEvent;

bool HarmonyStream::send(size_t upto, const StreamEvent* carrying) {
  const auto msgs = engine::parse_harmony(std::string_view(all_).substr(0, upto));
  std::string reasoning, text;
  sent_.resize(std::max(sent_.size(), msgs.size()));
  for (size_t i = 0; i < msgs.size(); ++i) {
    const auto& m = msgs[i];
    Sent& done = sent_[i];
    // Earlier messages never change as the reply grows (harmony_stable_prefix holds back what
    // could); a shorter body would be a bug, and must not read past the end.
    if (done.body > m.body.size()) fail(Errc::internal, "harmony: a message that was sent changed");
    if (m.channel == "analysis") {
      reasoning += m.body.substr(done.body);
      done.body = m.body.size();
      continue;
    }
    const bool call = calls_ && m.recipient.rfind("functions.", 0) == 0;
    if (!done.started && (call || !m.body.empty())) {
      done.started = true;
      if (call) text += engine::harmony_call_header(m.recipient);
      else if (any_text_ || !text.empty()) text += "\n";  // messages apart
    }
    text += m.body.substr(done.body);
    done.body = m.body.size();
  }
  if (!reasoning.empty()) {
    StreamEvent r;
    r.kind = StreamEvent::Kind::reasoning;
    r.text = std::move(reasoning);
    if (!out_(r)) return false;
  }
  if (text.empty() && !(carrying && !carrying->logprobs.empty())) return true;
  any_text_ = any_text_ || !text.empty();
  StreamEvent t = carrying ? *carrying : StreamEvent{};
  t.kind = StreamEvent::Kind::text;
  t.text = std::move(text);
  return out_(t);
}

bool HarmonyStream::operator()(const StreamEvent& e) {
  if (e.kind == StreamEvent::Kind::text && !e.echo) {
    all_ += e.text;
    return send(engine::harmony_stable_prefix(all_), &e);
  }
  if ((e.kind == StreamEvent::Kind::usage || e.kind == StreamEvent::Kind::finish) && !flushed_) {
    flushed_ = true;
    // A reply cut off inside a marker or a message header ends there: structure, not text.
    const size_t cut = engine::harmony_stable_prefix(all_);
    const std::string_view rest = std::string_view(all_).substr(cut);
    const bool structure = rest.substr(0, 2) == "<|" || rest.substr(0, 4) == " to=" ||
                           (cut == 0 && std::string_view(" to=").substr(0, rest.size()) == rest);
    if (!send(structure ? cut : all_.size(), nullptr)) return false;
  }
  return out_(e);
}

}  // namespace hearth::app
