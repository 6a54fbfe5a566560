#include "engine/chat_format.h"

#include "engine/reasoning.h"
#include "core/error.h"
#include "core/json.h"
#include "jinja/chat.h"
#include "jinja/template.h"

namespace hearth::engine {
namespace {

// Templates iterate over arguments as a mapping (`| items`, `| tojson`), so a call's arguments go
// in as an object when they parse as one.
ordered_json arguments_value(const std::string& text) {
  try {
    auto j = ordered_json::parse(text);
    if (j.is_object()) return j;
  } catch (const ordered_json::exception&) {
  }
  return text;
}

// The generic syntax, for templates that know no tools: calls and results become plain text.
// With `as_system` false the tool description leads the first user message instead (for templates
// that refuse a system role).
std::vector<ChatMessage> fold_tools(const std::vector<ChatMessage>& in, const std::vector<ToolSpec>& tools,
                                    bool as_system) {
  std::vector<ChatMessage> out;
  std::string prompt = tools.empty() ? "" : generic_tool_prompt(tools);
  if (!prompt.empty() && as_system) {
    if (!in.empty() && in[0].role == "system") {
      out.push_back({"system", in[0].content + "\n\n" + prompt});
    } else {
      out.push_back({"system", prompt});
    }
    prompt.clear();
  }
  for (size_t i = 0; i < in.size(); ++i) {
    const ChatMessage& m = in[i];
    if (i == 0 && m.role == "system" && !tools.empty() && as_system) continue;
    if (m.role == "user" && !prompt.empty()) {
      out.push_back({"user", prompt + "\n\n" + m.content});
      prompt.clear();
      continue;
    }
    if (m.role == "tool") {
      out.push_back({"user", "<tool_result name=\"" + m.name + "\" id=\"" + m.tool_call_id + "\">\n" + m.content + "\n</tool_result>"});
      continue;
    }
    ChatMessage c{m.role, m.content};
    c.reasoning = m.reasoning;
    for (const auto& call : m.tool_calls) {
      ordered_json j = {{"name", call.name}, {"arguments", arguments_value(call.arguments)}};
      if (!c.content.empty()) c.content += "\n";
      c.content += "<tool_call>\n" + j.dump() + "\n</tool_call>";
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

ChatFormatter::ChatFormatter(const gguf::File& file, const tokenizer::Tokenizer& tok, std::string template_source)
    : tok_(tok), source_(std::move(template_source)) {
  if (source_.empty()) source_ = file.get_string("tokenizer.chat_template");
  fallback_ = source_.empty();
  syntax_ = detect_tool_syntax(source_);
  reasoning_ = template_has_reasoning(source_);
  if (tok.bos() >= 0) bos_text_ = tok.token_text(tok.bos());
  if (tok.eos() >= 0) eos_text_ = tok.token_text(tok.eos());
  if (!fallback_) (void)jinja::Template::parse(source_);  // report syntax errors up front
}

std::string ChatFormatter::render(const std::vector<ChatMessage>& given, bool add_generation_prompt,
                                  const RenderOptions& opt) const {
  if (syntax_ != ToolSyntax::generic) return render_as_given(given, add_generation_prompt, opt);
  RenderOptions plain = opt;
  plain.tools.clear();
  try {
    return render_as_given(fold_tools(given, opt.tools, true), add_generation_prompt, plain);
  } catch (const Error&) {
    if (opt.tools.empty()) throw;
    return render_as_given(fold_tools(given, opt.tools, false), add_generation_prompt, plain);
  }
}

std::string ChatFormatter::render_as_given(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                           const RenderOptions& opt) const {
  if (fallback_) {
    std::string out;
    for (const auto& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
    if (add_generation_prompt) out += "<|im_start|>assistant\n";
    return out;
  }
  jinja::ChatInput in;
  for (const auto& m : messages) {
    ordered_json j = {{"role", m.role}, {"content", m.content}};
    if (!m.tool_calls.empty()) {
      ordered_json calls = ordered_json::array();
      for (const auto& c : m.tool_calls)
        calls.push_back({{"id", c.id},
                         {"type", "function"},
                         {"function", {{"name", c.name}, {"arguments", arguments_value(c.arguments)}}}});
      j["tool_calls"] = std::move(calls);
    }
    if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
    if (!m.name.empty()) j["name"] = m.name;
    if (!m.reasoning.empty()) j["reasoning_content"] = m.reasoning;
    in.messages.push_back(std::move(j));
  }
  if (!opt.tools.empty()) {
    in.tools = ordered_json::array();
    for (const auto& t : opt.tools)
      in.tools.push_back({{"type", "function"},
                          {"function", {{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}}}});
  }
  in.add_generation_prompt = add_generation_prompt;
  in.bos_token = bos_text_;
  in.eos_token = eos_text_;
  if (opt.thinking) in.extra_context["enable_thinking"] = *opt.thinking;
  if (!opt.effort.empty()) in.extra_context["reasoning_effort"] = opt.effort;
  return jinja::render_chat(source_, in);
}

std::vector<int32_t> ChatFormatter::tokenize(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                             const RenderOptions& opt) const {
  return encode(render(messages, add_generation_prompt, opt));
}

std::vector<int32_t> ChatFormatter::encode(const std::string& text) const {
  const bool has_bos = !bos_text_.empty() && text.compare(0, bos_text_.size(), bos_text_) == 0;
  return tok_.encode(text, !has_bos, true);
}

}  // namespace hearth::engine
