// Malformed and hostile templates fail cleanly with a TemplateError naming what and where.
#include <gtest/gtest.h>

#include "jinja/chat.h"
#include "jinja/template.h"

namespace hearth::jinja {
namespace {

TemplateError::Kind kind_of(const std::string& src, std::string* msg = nullptr, Options opt = {}) {
  try {
    Template::parse(src, opt).render(Value::dict());
  } catch (const TemplateError& e) {
    if (msg) *msg = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no error for: " << src;
  return TemplateError::Kind::runtime;
}

TEST(JinjaErrors, UnclosedBlockNamesLineAndColumn) {
  std::string msg;
  EXPECT_EQ(kind_of("line one\n{% if x %}\nbody", &msg), TemplateError::Kind::syntax);
  EXPECT_NE(msg.find("endif"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
}

TEST(JinjaErrors, BadTokens) {
  std::string msg;
  EXPECT_EQ(kind_of("ab\n  {{ 1 $ 2 }}", &msg), TemplateError::Kind::syntax);
  EXPECT_NE(msg.find("line 2, column 8"), std::string::npos) << msg;
  EXPECT_EQ(kind_of("{{ 'unterminated }}"), TemplateError::Kind::syntax);
  EXPECT_EQ(kind_of("{{ x "), TemplateError::Kind::syntax);
  EXPECT_EQ(kind_of("{% endfor %}"), TemplateError::Kind::syntax);
  EXPECT_EQ(kind_of("{% frobnicate %}"), TemplateError::Kind::syntax);
  EXPECT_EQ(kind_of("{# open comment"), TemplateError::Kind::syntax);
  EXPECT_EQ(kind_of("{% raw %}never closed"), TemplateError::Kind::syntax);
  EXPECT_EQ(kind_of("{{ (1 }}"), TemplateError::Kind::syntax);
  EXPECT_EQ(kind_of("{% break %}"), TemplateError::Kind::syntax);
}

TEST(JinjaErrors, DeepNestingIsASyntaxErrorNotAStackOverflow) {
  std::string deep(100000, '(');
  EXPECT_EQ(kind_of("{{ " + deep + "1" + std::string(100000, ')') + " }}"), TemplateError::Kind::syntax);
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
  EXPECT_EQ(kind_of(ifs), TemplateError::Kind::syntax);
}

TEST(JinjaErrors, RuntimeErrors) {
  std::string msg;
  EXPECT_EQ(kind_of("{{ x.y.z }}", &msg), TemplateError::Kind::runtime);
  EXPECT_NE(msg.find("'x' is undefined"), std::string::npos) << msg;
  EXPECT_EQ(kind_of("{{ 1 + 'a' }}"), TemplateError::Kind::runtime);
  EXPECT_EQ(kind_of("{{ 1 // 0 }}"), TemplateError::Kind::runtime);
  EXPECT_EQ(kind_of("{{ 1 < 'a' }}"), TemplateError::Kind::runtime);
  EXPECT_EQ(kind_of("{{ x|no_such_filter }}", &msg), TemplateError::Kind::runtime);
  EXPECT_NE(msg.find("No filter named 'no_such_filter'"), std::string::npos);
  EXPECT_EQ(kind_of("{{ [1].append(2) }}", &msg), TemplateError::Kind::runtime);
  EXPECT_NE(msg.find("unsafe"), std::string::npos);
  EXPECT_EQ(kind_of("{{ 9223372036854775807 + 1 }}"), TemplateError::Kind::runtime);
}

TEST(JinjaErrors, UnknownFilterInUntakenBranchIsFine) {
  EXPECT_EQ(Template::parse("{% if false %}{{ x|from_json }}{% endif %}ok").render(Value::dict()), "ok");
}

TEST(JinjaLimits, InfiniteishLoopsHitTheStepLimit) {
  Options opt;
  opt.max_steps = 100000;
  EXPECT_EQ(kind_of("{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}", nullptr, opt),
            TemplateError::Kind::limit);
}

TEST(JinjaLimits, OutputAndRecursion) {
  Options opt;
  opt.max_output_bytes = 1000;
  EXPECT_EQ(kind_of("{% for a in range(1000) %}xxxxxxxx{% endfor %}", nullptr, opt), TemplateError::Kind::limit);
  EXPECT_EQ(kind_of("{{ 'x' * 100000000000 }}"), TemplateError::Kind::limit);
  EXPECT_EQ(kind_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"), TemplateError::Kind::limit);
  EXPECT_EQ(kind_of("{% set ns = namespace(v=[]) %}{% for i in range(1000) %}{% set ns.v = [ns.v] %}{% endfor %}"),
            TemplateError::Kind::limit);
  EXPECT_EQ(kind_of("{% set ns = namespace(v=1) %}{% set ns.v = [ns] %}"), TemplateError::Kind::runtime);
}

TEST(JinjaApi, RenderChatSetsVariablesAndClock) {
  ChatInput in;
  in.messages = ordered_json::parse(R"([{"role":"user","content":"hi"}])");
  in.bos_token = "<s>";
  in.add_generation_prompt = true;
  in.extra_context = {{"enable_thinking", false}};
  in.now = parse_fixed_time("2026-01-15 10:30:00");
  std::string src =
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}"
      "{% if add_generation_prompt %}>{% endif %}{{ enable_thinking }}{{ tools is defined }}"
      "{{ strftime_now('%d %B %Y %H:%M') }}";
  EXPECT_EQ(render_chat(src, in), "<s>[user]hi>FalseFalse15 January 2026 10:30");
}

TEST(JinjaApi, RaiseExceptionCarriesMessageVerbatim) {
  try {
    render_chat("{{ raise_exception('Roles must alternate!') }}", ChatInput{});
    FAIL();
  } catch (const TemplateError& e) {
    EXPECT_EQ(e.kind(), TemplateError::Kind::raised);
    EXPECT_STREQ(e.what(), "Roles must alternate!");
  }
}

TEST(JinjaApi, ValueJsonRoundTripKeepsOrder) {
  auto j = ordered_json::parse(R"({"z":1,"a":[1.5,null,true,"s"],"m":{"k":"v"}})");
  EXPECT_EQ(Value::from_json(j).to_json().dump(), j.dump());
}

// lm-eval's environment: StrictUndefined and keep_trailing_newline (expectations from Jinja2 3.1).
TEST(JinjaOptions, StrictUndefinedAndTrailingNewline) {
  Options strict;
  strict.keep_trailing_newline = true;
  strict.strict_undefined = true;
  strict.trim_blocks = strict.lstrip_blocks = false;
  auto render = [&](const std::string& src) {
    return Template::parse(src, strict).render(Value::from_json(ordered_json{{"d", {{"k", 1}}}, {"y", false}}));
  };
  EXPECT_EQ(render("a\n\n"), "a\n\n");
  EXPECT_EQ(Template::parse("a\n\n").render(Value::dict()), "a\n");  // the default drops one
  EXPECT_EQ(render("{{ x is defined }}|{{ x | default('d') }}|{{ d.missing is defined }}|{{ d['k'] }}"), "False|d|False|1");
  EXPECT_EQ(render("[{{ 'a' if y }}]"), "[]");
  std::string msg;
  for (const char* src : {"{{ x }}", "{% if x %}y{% endif %}", "{% for i in x %}{% endfor %}", "{{ x ~ 'a' }}",
                          "{{ x.y is defined }}", "{{ x | upper }}"}) {
    EXPECT_EQ(kind_of(src, &msg, strict), TemplateError::Kind::runtime) << src;
    EXPECT_NE(msg.find("'x' is undefined"), std::string::npos) << src << ": " << msg;
  }
  try {
    render("{{ d.missing }}");
    ADD_FAILURE() << "a missing member rendered";
  } catch (const TemplateError& e) {
    EXPECT_NE(std::string(e.what()).find("has no attribute 'missing'"), std::string::npos) << e.what();
  }
  // Without the option an undefined name still prints as nothing.
  EXPECT_EQ(Template::parse("[{{ x }}]").render(Value::dict()), "[]");
}

}  // namespace
}  // namespace hearth::jinja
