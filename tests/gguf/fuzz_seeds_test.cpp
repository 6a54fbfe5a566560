// The fuzz seeds in fuzz/seeds/gguf/ are generated from the sample builders; this test keeps them
// current and valid. Regenerate with HEARTH_UPDATE_SEEDS=1 test_gguf --gtest_filter='GgufFuzzSeeds.*'.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "sample.h"
#include "support/shared_data.h"

using namespace hearth::gguf;

namespace {

std::vector<std::pair<std::string, std::vector<uint8_t>>> seeds() {
  std::vector<uint8_t> v2 = hearth::gguf::test::sample_gguf();
  hearth::gguf::test::poke<uint32_t>(v2, 4, 2);  // v2 and v3 share the layout
  return {{"sample.gguf", hearth::gguf::test::sample_gguf()}, {"vocab.gguf", hearth::gguf::test::sample_vocab_gguf()}, {"sample_v2.gguf", v2}};
}

}  // namespace

TEST(GgufFuzzSeeds, AreCurrentSmallAndValid) {
  const std::string dir = std::string(HEARTH_SOURCE_DIR) + "/fuzz/seeds/gguf/";
  const char* update = std::getenv("HEARTH_UPDATE_SEEDS");
  for (const auto& [name, bytes] : seeds()) {
    SCOPED_TRACE(name);
    EXPECT_LT(bytes.size(), 4096u);
    File f = File::parse(bytes.data(), bytes.size(), name);
    EXPECT_EQ(f.architecture(), "llama");
    if (update && std::string(update) == "1") {
      std::ofstream(dir + name, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    const std::string on_disk = hearth::test::read_file(dir + name);
    EXPECT_EQ(on_disk, std::string(bytes.begin(), bytes.end())) << "regenerate with HEARTH_UPDATE_SEEDS=1";
  }
}
