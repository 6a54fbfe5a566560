// A child process adds memories in a loop and prints each id once `hearth memory add` has
// returned (i.e. after the commit). The parent SIGKILLs it at random points; every printed id
// must then be in the database, and the database must pass integrity_check.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <sstream>
#include <thread>

#include "helpers.h"
#include "memory/sqlite_util.h"

using namespace hearth::memory;

TEST(MemoryCrash, AcknowledgedWritesSurviveSigkill) {
  auto dir = hearth::test::make_temp_dir("hearth-crash");
  std::string db = (dir / "memory.db").string();
  std::mt19937 rng(1234);
  int rounds = std::getenv("HEARTH_ASAN") ? 3 : 6;
  std::vector<std::string> acked;
  for (int round = 0; round < rounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      setpgid(0, 0);
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::string loop = "i=0; while true; do i=$((i+1)); '" + hearth::test::hearth_bin() + "' memory --db '" + db +
                         "' add \"note " + std::to_string(round) + " $i\" || exit 1; done";
      execl("/bin/sh", "sh", "-c", loop.c_str(), (char*)nullptr);
      _exit(127);
    }
    setpgid(pid, pid);
    close(fds[1]);
    // Kill at a random point after the first acknowledged write (a loaded machine, or a
    // sanitizer build, may take longer than any fixed delay to get there).
    std::string out;
    char buf[4096];
    ssize_t n;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (out.find('\n') == std::string::npos && std::chrono::steady_clock::now() < give_up &&
           (n = read(fds[0], buf, sizeof buf)) > 0)
      out.append(buf, static_cast<size_t>(n));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    kill(-pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    std::istringstream lines(out);
    std::string line;
    // Only complete lines count as acknowledged.
    while (std::getline(lines, line))
      if (!lines.eof() && line.rfind("m_", 0) == 0) acked.push_back(line);
  }
  ASSERT_FALSE(acked.empty()) << "the child never acknowledged a write";
  HashEmbedder e;
  Store s(db, &e);
  {
    Stmt ic(s.handle(), "PRAGMA integrity_check");
    ASSERT_TRUE(ic.step());
    EXPECT_EQ(ic.text(0), "ok");
  }
  for (const auto& id : acked) EXPECT_TRUE(s.get(id).has_value()) << id;
  SearchOptions so;
  so.query = "note";
  so.mode = SearchMode::bm25;
  EXPECT_FALSE(s.search(so).empty());
  std::filesystem::remove_all(dir);
}
