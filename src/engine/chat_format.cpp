#include "engine/chat_format.h"

#include "core/error.h"
#include "core/json.h"
#include "jinja/template.h"

namespace hearth::engine {

ChatFormatter::ChatFormatter(const gguf::File& file, const tokenizer::Tokenizer& tok, std::string template_source)
    : tok_(tok), source_(std::move(template_source)) {
  if (source_.empty()) source_ = file.get_string("tokenizer.chat_template");
  fallback_ = source_.empty();
  if (tok.bos() >= 0) bos_text_ = tok.token_text(tok.bos());
  if (tok.eos() >= 0) eos_text_ = tok.token_text(tok.eos());
  if (!fallback_) (void)jinja::Template::parse(source_);  // report syntax errors up front
}

std::string ChatFormatter::render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  if (fallback_) {
    std::string out;
    for (const auto& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    if (add_generation_prompt) out += "<|im_start|>assistant\n";
    return out;
  }
  json msgs = json::array();
  for (const auto& m : messages) msgs.push_back({{"role", m.role}, {"content", m.content}});
  json ctx = {{"messages", msgs},
              {"add_generation_prompt", add_generation_prompt},
              {"bos_token", bos_text_},
              {"eos_token", eos_text_}};
  return jinja::Template::parse(source_).render(jinja::Value::from_json(ctx));
}

std::vector<int32_t> ChatFormatter::tokenize(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  const std::string text = render(messages, add_generation_prompt);
  const bool has_bos = !bos_text_.empty() && text.compare(0, bos_text_.size(), bos_text_) == 0;
  return tok_.encode(text, !has_bos, true);
}

}  // namespace hearth::engine
