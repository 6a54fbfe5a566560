// `hearth template` end to end: a shared case renders byte for byte; a raise_exception case and a
// syntax error exit 1 with the message.
#include <gtest/gtest.h>

#include <fstream>

#include "core/json.h"
#include "support/shared_data.h"

namespace hearth::jinja {
namespace {

void write(const std::filesystem::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

TEST(TemplateCli, RendersCaseExactlyAndReportsErrors) {
  HEARTH_REQUIRE_SHARED();
  auto cases = ordered_json::parse(test::read_file(test::shared_path("templates/cases.json")))["cases"];
  auto dir = test::make_temp_dir("hearth_template_cli");
  const ordered_json* ok = nullptr;
  const ordered_json* err = nullptr;
  for (const auto& c : cases) {
    if (!ok && c["template"] == "Qwen-Qwen3-0.6B.jinja" && c["conversation"] == "tool-call-round-trip") ok = &c;
    if (!err && c.contains("error")) err = &c;
  }
  ASSERT_TRUE(ok && err);
  write(dir / "ok.json", ok->dump());
  std::string out;
  std::string cmd = test::hearth_bin() + " template -t " +
                    test::shared_path("templates/jinja/" + (*ok)["template"].get<std::string>()).string() +
                    " --case " + (dir / "ok.json").string() + " --now '2026-01-15 10:30:00'";
  ASSERT_EQ(test::run_command(cmd, &out), 0);
  EXPECT_EQ(out, (*ok)["expected"].get<std::string>());

  write(dir / "err.json", err->dump());
  std::string eout, emsg;
  cmd = test::hearth_bin() + " template -t " +
        test::shared_path("templates/jinja/" + (*err)["template"].get<std::string>()).string() + " --case " +
        (dir / "err.json").string();
  EXPECT_EQ(test::run_command(cmd, &eout, &emsg), 1);
  EXPECT_NE(emsg.find((*err)["error"].get<std::string>()), std::string::npos) << emsg;

  write(dir / "bad.jinja", "hello\n{% if x %}");
  cmd = test::hearth_bin() + " template -t " + (dir / "bad.jinja").string() + " --case " + (dir / "ok.json").string();
  EXPECT_EQ(test::run_command(cmd, &eout, &emsg), 1);
  EXPECT_NE(emsg.find("line 2"), std::string::npos) << emsg;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hearth::jinja
