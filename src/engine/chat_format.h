// Turns a conversation into prompt text with the model's chat template (Jinja), a template
// file, or, when the model has none, a plain ChatML-style layout.
#pragma once
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

class ChatFormatter {
 public:
  // template_source empty: use tokenizer.chat_template from `file`; when that is absent too,
  // the ChatML-style fallback (is_fallback() tells). Throws Error(format) on a template that
  // does not parse.
  ChatFormatter(const gguf::File& file, const tokenizer::Tokenizer& tok, std::string template_source = {});

  bool is_fallback() const { return fallback_; }
  // Renders the whole conversation; with add_generation_prompt the text ends where the
  // assistant's reply begins.
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  // Renders and tokenizes (special-token texts become their ids; BOS is added only when the
  // vocabulary wants one and the template did not write it).
  std::vector<int32_t> tokenize(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

 private:
  const tokenizer::Tokenizer& tok_;
  std::string source_;
  bool fallback_ = false;
  std::string bos_text_, eos_text_;
};

}  // namespace hearth::engine
