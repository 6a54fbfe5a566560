// `hearth eval report`'s HTML: the embedded chart script and the runs' data are inline, nothing
// in a results file can end the data block or inject markup, and bad input is refused.
#include <gtest/gtest.h>

#include <regex>

#include "core/error.h"
#include "eval/report.h"
#include "eval/run_store.h"
#include "web/web_assets.h"

namespace hearth::eval {
namespace {

ordered_json view(const std::string& task, const std::string& model) {
  ordered_json r = {{"results", {{task, {{"acc,none", 0.5}, {"acc_stderr,none", 0.1}}}}},
                    {"configs", {{task, {{"doc_to_text", "{{q}}"}}}}},
                    {"config", {{"model", model}}}};
  return chart_view(r, "run-1");
}

// The JSON between <script type="application/json" id="hearth-eval-data"> and </script>.
ordered_json data_block(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"hearth-eval-data\">";
  const size_t a = html.find(open);
  EXPECT_NE(a, std::string::npos);
  const size_t b = html.find("</script>", a);
  return ordered_json::parse(html.substr(a + open.size(), b - a - open.size()));
}

TEST(EvalReport, InlinesTheChartScriptAndTheRunsWithoutConfigs) {
  ASSERT_NE(web::find_web_asset(kReportScriptPath), nullptr) << "the report bundle is not embedded";
  const std::string html = render_report_html({view("mmlu_anatomy", "local:a.gguf"), view("gsm8k", "b")}, "A & B <report>");
  EXPECT_NE(html.find("<title>A &amp; B &lt;report&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  auto d = data_block(html);
  EXPECT_EQ(d["format"], "hearth-eval-report");
  ASSERT_EQ(d["runs"].size(), 2u);
  EXPECT_EQ(d["runs"][0]["id"], "run-1");
  EXPECT_EQ(d["runs"][0]["results"]["mmlu_anatomy"]["acc,none"], 0.5);
  EXPECT_FALSE(d["runs"][0].contains("configs"));
  EXPECT_EQ(d["runs"][1]["config"]["model"], "b");
  // One inline script with the chart code; nothing loaded from anywhere.
  EXPECT_NE(html.find("hec-bar"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(<script[^>]+src=|<link\b|href=)", std::regex::icase)));
}

TEST(EvalReport, ResultsTextCannotEndTheDataBlock) {
  const std::string evil = "</script><script>alert(1)</script><!--";
  const std::string html = render_report_html({view(evil, evil)}, "t");
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  auto d = data_block(html);  // parses: the block ended where it should
  EXPECT_EQ(d["runs"][0]["config"]["model"], evil);
  EXPECT_TRUE(d["runs"][0]["results"].contains(evil));
}

TEST(EvalReport, NeedsAtLeastOneRun) {
  try {
    render_report_html({}, "t");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
}

TEST(EvalRunStore, RunIdsAreOneFolderName) {
  EXPECT_TRUE(valid_run_id("2026-11-24T10-00-00_local_stories260K.gguf_mmlu"));
  EXPECT_TRUE(valid_run_id("my run (2)"));
  for (const char* bad : {"", ".", "..", "../x", "a/b", "a\\b", "/etc", "x\n"}) EXPECT_FALSE(valid_run_id(bad)) << bad;
}

}  // namespace
}  // namespace hearth::eval
