// Reasoning ("thinking") text: models whose templates use <think>...</think> write their
// reasoning first; it is split from the answer so the APIs can return it apart
// (reasoning_content, Anthropic thinking blocks, Ollama's thinking).
#pragma once
#include <string>
#include <string_view>

namespace hearth::engine {

// The template writes or expects <think> blocks.
bool template_has_reasoning(std::string_view template_source);
// The rendered prompt already opens the block (Qwen3, DeepSeek-R1 end the generation prompt with
// "<think>\n"), so the reply starts inside it.
bool prompt_opens_reasoning(std::string_view prompt_text);

class ReasoningSplitter {
 public:
  explicit ReasoningSplitter(bool starts_inside) : state_(starts_inside ? State::inside : State::before) {}
  struct Parts {
    std::string reasoning, text;
  };
  // The parts that became certain with this delta (a possible tag at the end is held back).
  Parts push(std::string_view delta);
  // Whatever is held back, at the end of the reply.
  Parts flush();

 private:
  enum class State { before, inside, after } state_;
  std::string held_;
  bool after_block_ = false, answer_started_ = false;
};

}  // namespace hearth::engine
