// Resident memory holds one copy of the weights, never two: loading moves the matrices into the
// weights' arena page by page (dropping the file's pages as it goes), and with the file's layout
// kept (HEARTH_REPACK=0) loading maps them and a forward pass pages in what it touches.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/thread_pool.h"
#include "model/model.h"
#include "support/shared_data.h"

namespace {

// Resident set size of this process in bytes, from /proc/self/status (VmRSS, in kB).
int64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return -1;
}

// One forward pass over four tokens: it reads every weight once.
void forward_four_tokens(const hearth::model::Model& model) {
  hearth::model::KvCache cache(model.hparams(), 64);
  std::vector<float> logits;
  hearth::ThreadPool pool(1);
  const std::vector<int32_t> tokens = {1, 403, 407, 261};
  model.forward(cache, tokens, false, logits, &pool);
}

}  // namespace

TEST(ModelMemory, LoadPlacesTheWeightsOnceAndForwardAddsNoCopy) {
  HEARTH_REQUIRE_SHARED();
  if (std::getenv("HEARTH_ASAN")) GTEST_SKIP() << "RSS is not meaningful under AddressSanitizer's shadow memory";
  auto path = hearth::test::shared_path("models/tiny-llama-F32.gguf");
  const int64_t file_size = static_cast<int64_t>(std::filesystem::file_size(path));

  int64_t before = rss_bytes();
  auto model = hearth::model::Model::load(path.string());
  // (Where the matrices went is ArenaModel's test: a lower bound here would fail when earlier
  // tests in the same process left freed memory that the arena reuses.)
  EXPECT_LT(rss_bytes() - before, file_size + file_size / 2) << "loading kept two copies of the weights";

  forward_four_tokens(*model);
  EXPECT_LT(rss_bytes() - before, file_size + file_size / 2) << "the forward pass read the file's copy too";
}

TEST(ModelMemory, LoadInTheFileLayoutMapsWeightsAndForwardTouchesThemOnce) {
  HEARTH_REQUIRE_SHARED();
  if (std::getenv("HEARTH_ASAN")) GTEST_SKIP() << "RSS is not meaningful under AddressSanitizer's shadow memory";
  auto path = hearth::test::shared_path("models/tiny-llama-F32.gguf");
  const int64_t file_size = static_cast<int64_t>(std::filesystem::file_size(path));

  int64_t before = rss_bytes();
  hearth::model::LoadOptions o;
  o.repack = false;
  auto model = hearth::model::Model::load(path.string(), o);
  int64_t after_load = rss_bytes();
  // Parsing reads the header only; the 13 MB of weights stay on disk until used.
  EXPECT_LT(after_load - before, file_size / 4) << "loading copied weights into memory";

  forward_four_tokens(*model);
  int64_t after_forward = rss_bytes();
  // Every weight is now touched once through the mapping: growth is about the file, not twice it.
  EXPECT_LT(after_forward - before, file_size + file_size / 2);
  EXPECT_GT(after_forward - after_load, file_size / 2) << "the forward pass should have paged the weights in";
}
