// Shared fixtures for the memory tests: a fresh store in a temporary folder.
#pragma once
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "memory/embedder.h"
#include "memory/store.h"
#include "support/shared_data.h"

namespace hearth::memory::test {

struct TempStore {
  std::filesystem::path dir = hearth::test::make_temp_dir("hearth-mem");
  HashEmbedder embedder;
  std::unique_ptr<Store> store = std::make_unique<Store>(dir / "memory.db", &embedder);
  ~TempStore() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Record add(const std::string& text, const std::string& kind = "fact", const std::string& scope = "user") {
    Record r;
    r.text = text;
    r.kind = kind;
    r.scope = scope;
    return store->add(r, "test");
  }
};

inline std::filesystem::path data_file(const std::string& name) {
  return std::filesystem::path(HEARTH_SOURCE_DIR) / "tests/memory/data" / name;
}

}  // namespace hearth::memory::test
