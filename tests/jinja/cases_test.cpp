// Every reference rendering in shared/templates/cases.json, one test per case.
#include <gtest/gtest.h>

#include <cctype>
#include <map>

#include "core/json.h"
#include "support/shared_data.h"
#include "jinja/chat.h"

namespace hearth::jinja {
namespace {

struct CaseRef {
  size_t index;
  std::string name;
};
void PrintTo(const CaseRef& c, std::ostream* os) { *os << c.name; }

const ordered_json& all_cases() {
  static ordered_json cases = [] {
    auto p = test::shared_path("templates/cases.json");
    if (p.empty()) return ordered_json::object();
    try {
      return ordered_json::parse(test::read_file(p));
    } catch (...) {
      return ordered_json::object();
    }
  }();
  return cases;
}

std::vector<CaseRef> case_list() {
  std::vector<CaseRef> out;
  const auto& root = all_cases();
  if (!root.contains("cases")) {
    out.push_back({SIZE_MAX, "shared_data_missing"});
    return out;
  }
  std::map<std::string, int> seen;
  for (size_t i = 0; i < root["cases"].size(); ++i) {
    const auto& c = root["cases"][i];
    std::string raw = c.value("template", "") + "_" + c.value("conversation", "") +
                      (c.value("add_generation_prompt", false) ? "_gen" : "_nogen");
    std::string name;
    for (char ch : raw) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    int n = seen[name]++;
    if (n) name += "_" + std::to_string(n);
    out.push_back({i, name});
  }
  return out;
}

class ChatTemplateCase : public ::testing::TestWithParam<CaseRef> {};

TEST_P(ChatTemplateCase, RendersLikeTransformers) {
  HEARTH_REQUIRE_SHARED();
  const auto& root = all_cases();
  ASSERT_TRUE(root.contains("cases")) << "cases.json missing or unreadable";
  ASSERT_NE(GetParam().index, SIZE_MAX);
  const auto& c = root["cases"][GetParam().index];
  std::string src = test::read_file(test::shared_path("templates/jinja/" + c["template"].get<std::string>()));
  ChatInput in;
  in.messages = c["messages"];
  if (c.contains("tools")) in.tools = c["tools"];
  in.add_generation_prompt = c.value("add_generation_prompt", false);
  in.bos_token = c.value("bos_token", "");
  in.eos_token = c.value("eos_token", "");
  in.now = parse_fixed_time(root.value("fixed_now", "2026-01-15T10:30:00"));
  if (c.contains("error")) {
    try {
      std::string out = render_chat(src, in);
      FAIL() << "expected error '" << c["error"].get<std::string>() << "', rendered:\n" << out;
    } catch (const TemplateError& e) {
      EXPECT_EQ(e.kind(), TemplateError::Kind::raised) << e.what();
      EXPECT_EQ(std::string(e.what()), c["error"].get<std::string>());
    }
    return;
  }
  std::string out;
  try {
    out = render_chat(src, in);
  } catch (const TemplateError& e) {
    FAIL() << "render failed: " << e.what();
  }
  EXPECT_EQ(out, c["expected"].get<std::string>());
}

INSTANTIATE_TEST_SUITE_P(Shared, ChatTemplateCase, ::testing::ValuesIn(case_list()),
                         [](const ::testing::TestParamInfo<CaseRef>& info) { return info.param.name; });

}  // namespace
}  // namespace hearth::jinja
