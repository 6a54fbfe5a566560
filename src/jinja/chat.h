// Chat-template rendering the way transformers.apply_chat_template does it: the conversation,
// tools and special tokens become template variables; raise_exception/strftime_now are globals.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "jinja/template.h"

namespace hearth::jinja {

struct ChatInput {
  ordered_json messages = ordered_json::array();
  ordered_json tools;  // null/absent: the `tools` variable is left undefined
  bool add_generation_prompt = false;
  std::string bos_token, eos_token;
  ordered_json extra_context = ordered_json::object();  // more variables (enable_thinking, ...)
  std::optional<std::chrono::system_clock::time_point> now;  // strftime_now clock; system clock if unset
};

// Parses and renders; throws TemplateError (kind raised carries the template's own message).
std::string render_chat(std::string_view template_source, const ChatInput& input);

// "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SS" (read as UTC) to a time point.
std::chrono::system_clock::time_point parse_fixed_time(std::string_view text);

}  // namespace hearth::jinja
