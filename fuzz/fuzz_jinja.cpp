// Parses and renders arbitrary template text with tight limits; any outcome other than a
// rendered string or a TemplateError is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jinja/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth::jinja;
  Options opt;
  // The first byte's low bit picks lm-eval's settings (strict undefined, kept trailing newline,
  // no block trimming) instead of the chat-template ones.
  if (size > 0 && (data[0] & 1)) {
    opt.strict_undefined = opt.keep_trailing_newline = true;
    opt.trim_blocks = opt.lstrip_blocks = false;
  }
  opt.max_steps = 20000;
  opt.max_output_bytes = 1 << 16;
  opt.max_depth = 50;
  try {
    Template t = Template::parse(std::string_view(reinterpret_cast<const char*>(data), size), opt);
    Dict msg = {{Value("role"), Value("user")}, {Value("content"), Value("hi")}};
    Dict ctx = {{Value("messages"), Value::list({Value::dict(msg)})},
                {Value("add_generation_prompt"), Value(true)},
                {Value("bos_token"), Value("<s>")}};
    t.now = [] { return std::chrono::system_clock::time_point{}; };
    (void)t.render(Value::dict(ctx));
  } catch (const hearth::Error&) {
  }
  return 0;
}
