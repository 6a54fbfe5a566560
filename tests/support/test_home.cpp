// Every test program gets its own $HEARTH_HOME, a fresh temporary folder removed at exit, unless
// the caller set one: nothing a test writes (models, memory, ledger, settings) lands in the
// user's real data folder, and tests running in parallel do not share one. The `hearth`
// processes tests start inherit it. Compiled into each test program, not into the support
// library: the linker would drop an object that nothing references.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

struct TestHome {
  std::filesystem::path dir;
  TestHome() {
    if (const char* h = std::getenv("HEARTH_HOME"); h && *h) return;
    std::string tmpl = (std::filesystem::temp_directory_path() / "hearth-test-home-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return;  // then hearth_home() falls back as for a user
    dir = tmpl;
    ::setenv("HEARTH_HOME", tmpl.c_str(), 1);
  }
  ~TestHome() {
    if (dir.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

const TestHome test_home;

}  // namespace
