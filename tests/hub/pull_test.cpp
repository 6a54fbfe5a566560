// `hearth pull` against a fake Hugging Face server on loopback: resume after a dropped
// connection, checksum verification, 404s, non-GGUF payloads, list and rm.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "core/json.h"
#include "hub/download.h"
#include "support/shared_data.h"
#include "support/listen.h"

namespace fs = std::filesystem;
using hearth::json;

namespace {

// Serves one file at /org/repo/resolve/main/model.gguf. `drop_after` > 0 makes the next
// response stop after that many bytes (then the server behaves normally).
class FakeHub {
 public:
  explicit FakeHub(std::string body) : body_(std::move(body)) {
    server_.Get(R"(/org/repo/resolve/main/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      if (req.has_header("Range")) ++range_requests_;
      if (req.matches[1] != "model.gguf") {
        res.status = 404;
        res.set_content("Entry not found", "text/plain");
        return;
      }
      if (!etag_.empty()) res.set_header("X-Linked-Etag", "\"" + etag_ + "\"");
      size_t limit = drop_after_.exchange(0);
      res.set_content_provider(body_.size(), "application/octet-stream",
                               [this, limit](size_t offset, size_t length, httplib::DataSink& sink) {
                                 size_t n = std::min<size_t>(length, 64 * 1024);
                                 if (limit > 0 && offset + n > limit) {
                                   if (offset < limit) sink.write(body_.data() + offset, limit - offset);
                                   return false;  // drop the connection mid-transfer
                                 }
                                 sink.write(body_.data() + offset, n);
                                 return true;
                               });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = hearth::test::listen_in_background(server_);
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHub() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_etag(const std::string& e) { etag_ = e; }
  void drop_next_after(size_t n) { drop_after_ = n; }
  int range_requests() const { return range_requests_; }

 private:
  std::string body_, etag_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<size_t> drop_after_{0};
  std::atomic<int> requests_{0}, range_requests_{0};
};

struct Env {
  fs::path home = hearth::test::make_temp_dir("hearth-pull");
  std::string prefix(const FakeHub& hub) const {
    return "HEARTH_HOME=" + home.string() + " HEARTH_HF_ENDPOINT=" + hub.endpoint() + " " + hearth::test::hearth_bin();
  }
  ~Env() { fs::remove_all(home); }
};

std::string model_bytes() {
  return hearth::test::read_file(hearth::test::shared_path("models/stories260K.gguf"));
}

}  // namespace

TEST(Pull, DownloadsVerifiesListsAndRemoves) {
  HEARTH_REQUIRE_SHARED();
  std::string body = model_bytes();
  FakeHub hub(body);
  hub.set_etag(hearth::hub::sha256_file(hearth::test::shared_path("models/stories260K.gguf").string()));
  Env env;
  std::string out, err;
  ASSERT_EQ(hearth::test::run_command(env.prefix(hub) + " pull hf:org/repo/model.gguf --json", &out, &err), 0) << err;
  json j = json::parse(out);
  EXPECT_EQ(j["name"], "org/repo/model.gguf");
  EXPECT_EQ(j["bytes"], body.size());
  EXPECT_EQ(hearth::test::read_file(j["path"].get<std::string>()), body);

  ASSERT_EQ(hearth::test::run_command(env.prefix(hub) + " list --json", &out, &err), 0) << err;
  json l = json::parse(out);
  ASSERT_EQ(l["models"].size(), 1u);
  EXPECT_EQ(l["models"][0]["sha256"], j["sha256"]);

  // Pulling again is a no-op that re-verifies.
  ASSERT_EQ(hearth::test::run_command(env.prefix(hub) + " pull hf:org/repo/model.gguf", &out, &err), 0) << err;

  ASSERT_EQ(hearth::test::run_command(env.prefix(hub) + " rm org/repo/model.gguf", &out, &err), 0) << err;
  EXPECT_FALSE(fs::exists(j["path"].get<std::string>()));
  ASSERT_EQ(hearth::test::run_command(env.prefix(hub) + " list --json", &out, &err), 0);
  EXPECT_TRUE(json::parse(out)["models"].empty());
  EXPECT_EQ(hearth::test::run_command(env.prefix(hub) + " rm org/repo/model.gguf", &out, &err), 1);
  EXPECT_NE(err.find("no stored model"), std::string::npos) << err;
}

TEST(Pull, ResumesAfterADroppedConnection) {
  HEARTH_REQUIRE_SHARED();
  std::string body = model_bytes();
  FakeHub hub(body);
  hub.drop_next_after(body.size() / 3);
  Env env;
  std::string out, err;
  EXPECT_EQ(hearth::test::run_command(env.prefix(hub) + " pull hf:org/repo/model.gguf", &out, &err), 1);
  EXPECT_NE(err.find("resume"), std::string::npos) << err;
  auto partial = env.home / "models/org/repo/model.gguf.partial";
  ASSERT_TRUE(fs::exists(partial));
  EXPECT_GT(fs::file_size(partial), 0u);
  EXPECT_LT(fs::file_size(partial), body.size());

  ASSERT_EQ(hearth::test::run_command(env.prefix(hub) + " pull hf:org/repo/model.gguf --json", &out, &err), 0) << err;
  EXPECT_EQ(hub.range_requests(), 1);
  json j = json::parse(out);
  EXPECT_EQ(hearth::test::read_file(j["path"].get<std::string>()), body);
  EXPECT_EQ(j["sha256"], hearth::hub::sha256_file(hearth::test::shared_path("models/stories260K.gguf").string()));
  EXPECT_FALSE(fs::exists(partial));
}

TEST(Pull, ChecksumMismatchIsRefusedAndNothingIsKept) {
  HEARTH_REQUIRE_SHARED();
  FakeHub hub(model_bytes());
  hub.set_etag(std::string(64, 'a'));
  Env env;
  std::string out, err;
  EXPECT_EQ(hearth::test::run_command(env.prefix(hub) + " pull hf:org/repo/model.gguf", &out, &err), 1);
  EXPECT_NE(err.find("checksum mismatch"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(env.home / "models/org/repo/model.gguf"));
  EXPECT_FALSE(fs::exists(env.home / "models/org/repo/model.gguf.partial"));
}

TEST(Pull, MissingFileAndNonGgufPayloadGiveClearErrors) {
  FakeHub hub("this is not a model, just some text that is long enough to look like a payload");
  Env env;
  std::string out, err;
  EXPECT_EQ(hearth::test::run_command(env.prefix(hub) + " pull hf:org/repo/other.gguf", &out, &err), 1);
  EXPECT_NE(err.find("404"), std::string::npos) << err;
  EXPECT_EQ(hearth::test::run_command(env.prefix(hub) + " pull hf:org/repo/model.gguf", &out, &err), 1);
  EXPECT_NE(err.find("not a usable GGUF"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(env.home / "models/org/repo/model.gguf"));
}

TEST(Pull, BadReferencesAreUsageErrors) {
  FakeHub hub("x");
  Env env;
  std::string out, err;
  EXPECT_EQ(hearth::test::run_command(env.prefix(hub) + " pull hf:justonepart", &out, &err), 2);
  EXPECT_NE(err.find("hf:OWNER/REPO/FILE.gguf"), std::string::npos) << err;
  EXPECT_EQ(hearth::test::run_command(env.prefix(hub) + " pull no-such-catalog-name", &out, &err), 1);
  EXPECT_NE(err.find("unknown model"), std::string::npos) << err;
  EXPECT_EQ(hearth::test::run_command(env.prefix(hub) + " pull hf:a/b/../../etc.gguf", &out, &err), 2);
}

TEST(Pull, UnreachableServerSaysSo) {
  Env env;
  std::string out, err;
  // Port 9 on loopback: nothing listens there.
  std::string cmd = "HEARTH_HOME=" + env.home.string() + " HEARTH_HF_ENDPOINT=http://127.0.0.1:9 " +
                    hearth::test::hearth_bin() + " pull hf:org/repo/model.gguf";
  EXPECT_EQ(hearth::test::run_command(cmd, &out, &err), 1);
  EXPECT_NE(err.find("cannot reach the server"), std::string::npos) << err;
}
