#include "engine/reasoning.h"

#include "engine/partial_match.h"

namespace hearth::engine {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

}  // namespace

bool template_has_reasoning(std::string_view src) { return src.find(kClose) != std::string_view::npos; }

bool prompt_opens_reasoning(std::string_view p) {
  const size_t end = p.find_last_not_of(" \t\r\n");
  if (end == std::string_view::npos) return false;
  p = p.substr(0, end + 1);
  return p.size() >= kOpen.size() && p.substr(p.size() - kOpen.size()) == kOpen;
}

ReasoningSplitter::Parts ReasoningSplitter::push(std::string_view delta) {
  Parts out;
  held_ += delta;
  while (!held_.empty()) {
    if (state_ == State::after) {
      if (after_block_ && !answer_started_) {
        // The answer usually starts after a blank line; that spacing is not part of it.
        const size_t b = held_.find_first_not_of("\r\n");
        held_.erase(0, b == std::string::npos ? held_.size() : b);
        if (held_.empty()) break;
      }
      answer_started_ = true;
      out.text += held_;
      held_.clear();
    } else if (state_ == State::before) {
      // Only a reply that opens with <think> (after blank space) has a reasoning block.
      const size_t b = held_.find_first_not_of(" \t\r\n");
      if (b == std::string::npos) break;
      std::string_view rest = std::string_view(held_).substr(b);
      if (rest.size() < kOpen.size() && kOpen.substr(0, rest.size()) == rest) break;  // may still be <think>
      if (rest.substr(0, kOpen.size()) == kOpen) {
        held_.erase(0, b + kOpen.size());
        state_ = State::inside;
      } else {
        state_ = State::after;
      }
    } else {
      const size_t close = held_.find(kClose);
      if (close != std::string::npos) {
        out.reasoning += held_.substr(0, close);
        held_.erase(0, close + kClose.size());
        state_ = State::after;
        after_block_ = true;
        continue;
      }
      const size_t keep = partial_match(held_, kClose);
      out.reasoning += held_.substr(0, held_.size() - keep);
      held_.erase(0, held_.size() - keep);
      break;
    }
  }
  return out;
}

ReasoningSplitter::Parts ReasoningSplitter::flush() {
  Parts out;
  if (state_ == State::inside) out.reasoning = std::move(held_);
  else out.text = std::move(held_);
  held_.clear();
  return out;
}

}  // namespace hearth::engine
