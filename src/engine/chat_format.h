// Turns a conversation into prompt text with the model's chat template (Jinja), a template
// file, or, when the model has none, a plain ChatML-style layout.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "engine/tool_calls.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {

struct ChatToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text
};

struct ChatMessage {
  std::string role;  // system | user | assistant | tool
  std::string content;
  std::vector<ChatToolCall> tool_calls;  // assistant: calls it made
  std::string tool_call_id;              // tool: the call this result answers
  std::string name;                      // tool: the tool's name
  std::string reasoning;                 // assistant: its reasoning (templates may show or drop it)
};

struct RenderOptions {
  std::vector<ToolSpec> tools;
  // Sets the template's enable_thinking (Qwen3, SmolLM3, Granite, ...); unset: the template's default.
  std::optional<bool> thinking;
  // Sets the template's reasoning_effort (gpt-oss: low, medium, high); empty: the template's default.
  std::string effort;
};

class ChatFormatter {
 public:
  // template_source empty: use tokenizer.chat_template from `file`; when that is absent too,
  // the ChatML-style fallback (is_fallback() tells). Throws Error(format) on a template that
  // does not parse.
  ChatFormatter(const gguf::File& file, const tokenizer::Tokenizer& tok, std::string template_source = {});

  bool is_fallback() const { return fallback_; }
  // How this model family writes tool calls (generic when the template knows no tools).
  ToolSyntax tool_syntax() const { return syntax_; }
  // Renders the whole conversation; with add_generation_prompt the text ends where the
  // assistant's reply begins.
  // With tools, templates that know tools get them as their `tools` variable (OpenAI's format);
  // for the others hearth describes them in the system message, and earlier calls and results
  // are written out as text in the generic syntax.
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                     const RenderOptions& opt = {}) const;
  // Renders and tokenizes (special-token texts become their ids; BOS is added only when the
  // vocabulary wants one and the template did not write it).
  std::vector<int32_t> tokenize(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                const RenderOptions& opt = {}) const;
  // Tokenizes rendered text the way tokenize() does.
  std::vector<int32_t> encode(const std::string& rendered) const;
  // The template has <think> reasoning blocks.
  bool has_reasoning() const { return reasoning_; }

 private:
  std::string render_as_given(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                              const RenderOptions& opt) const;
  const tokenizer::Tokenizer& tok_;
  std::string source_;
  bool fallback_ = false;
  ToolSyntax syntax_ = ToolSyntax::generic;
  bool reasoning_ = false;
  std::string bos_text_, eos_text_;
};

}  // namespace hearth::engine
