#include "jinja/chat.h"

#include <cstdio>
#include <ctime>

namespace hearth::jinja {

std::string render_chat(std::string_view template_source, const ChatInput& input) {
  Template t = Template::parse(template_source);
  if (input.now) {
    auto fixed = *input.now;
    t.now = [fixed] { return fixed; };
  }
  Dict ctx;
  ctx.emplace_back(Value("messages"), Value::from_json(input.messages));
  if (!input.tools.is_null()) ctx.emplace_back(Value("tools"), Value::from_json(input.tools));
  ctx.emplace_back(Value("add_generation_prompt"), Value(input.add_generation_prompt));
  ctx.emplace_back(Value("bos_token"), Value(input.bos_token));
  ctx.emplace_back(Value("eos_token"), Value(input.eos_token));
  if (input.extra_context.is_object())
    for (auto it = input.extra_context.begin(); it != input.extra_context.end(); ++it) {
      Value v = Value::from_json(it.value());
      bool replaced = false;
      for (auto& kv : ctx)
        if (kv.first.str() == it.key()) kv.second = v, replaced = true;
      if (!replaced) ctx.emplace_back(Value(it.key()), v);
    }
  return t.render(Value::dict(std::move(ctx)));
}

std::chrono::system_clock::time_point parse_fixed_time(std::string_view text) {
  std::string s(text);
  int y, mo, d, h, mi, se;
  char sep;
  if (std::sscanf(s.c_str(), "%d-%d-%d%c%d:%d:%d", &y, &mo, &d, &sep, &h, &mi, &se) != 7 || (sep != ' ' && sep != 'T') ||
      mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
    fail(Errc::invalid_argument, "bad time '" + s + "': expected YYYY-MM-DD HH:MM:SS");
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace hearth::jinja
