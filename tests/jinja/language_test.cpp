// Language features one at a time; expectations in language_cases.json were produced by Python
// Jinja2 (see gen_language_cases.py), so each case pins Jinja2's exact behaviour.
#include <gtest/gtest.h>

#include <cctype>

#include "core/json.h"
#include "support/shared_data.h"
#include "jinja/template.h"

namespace hearth::jinja {
namespace {

struct LangCase {
  std::string name, source, expected, error;
  ordered_json context;
};
void PrintTo(const LangCase& c, std::ostream* os) { *os << c.name; }

std::vector<LangCase> load_cases() {
  std::vector<LangCase> out;
  auto j = ordered_json::parse(test::read_file(std::string(HEARTH_SOURCE_DIR) + "/tests/jinja/language_cases.json"));
  for (const auto& c : j)
    out.push_back({c["name"], c["template"], c.value("expected", ""), c.value("error", ""), c["context"]});
  return out;
}

class Language : public ::testing::TestWithParam<LangCase> {};

TEST_P(Language, MatchesJinja2) {
  const auto& c = GetParam();
  Template t = Template::parse(c.source);
  if (!c.error.empty()) {
    try {
      t.render(Value::from_json(c.context));
      FAIL() << "expected an error";
    } catch (const TemplateError& e) {
      EXPECT_EQ(e.kind(), TemplateError::Kind::raised);
      EXPECT_EQ(std::string(e.what()), c.error);
    }
    return;
  }
  EXPECT_EQ(t.render(Value::from_json(c.context)), c.expected) << c.source;
}

INSTANTIATE_TEST_SUITE_P(Cases, Language, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<LangCase>& i) { return i.param.name; });

}  // namespace
}  // namespace hearth::jinja
