// libFuzzer target for memory imports, the files users bring from elsewhere: hearth bundles,
// ChatGPT and Claude exports (JSON or the .zip as downloaded), the MCP memory graph and JSONL
// chat logs. Any input must import or throw hearth::Error; anything else is a bug. The first byte
// picks the format ('0' auto-detect, then each importer), so one corpus covers them all.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include "core/error.h"
#include "memory/bundle.h"
#include "memory/embedder.h"
#include "memory/store.h"

namespace {

hearth::memory::Store& store() {
  static hearth::memory::HashEmbedder embedder;
  static std::unique_ptr<hearth::memory::Store> s = [] {
    const auto dir = std::filesystem::temp_directory_path() / ("hearth-fuzz-memory-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return std::make_unique<hearth::memory::Store>(dir / "memory.db", &embedder);
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1 << 20)) return 0;
  static const char* kFormats[] = {"auto", "hearth", "chatgpt", "claude", "mcp-jsonl", "jsonl"};
  hearth::memory::ImportOptions o;
  o.format = kFormats[data[0] % 6];
  o.name = "fuzz";
  o.passphrase = "fuzz";
  try {
    hearth::memory::import_bytes(store(), std::string(reinterpret_cast<const char*>(data + 1), size - 1), o);
  } catch (const hearth::Error&) {
    // A clear, typed refusal is the expected outcome for bad input.
  }
  return 0;
}
