// libFuzzer target for a pack's precomputed KV part (model::KvSnapshot::parse): any input must
// parse or throw hearth::Error; what parses must serialize back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "model/kv_snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto s = hearth::model::KvSnapshot::parse(bytes, "fuzz.kv");
    if (s.serialize() != bytes) __builtin_trap();
  } catch (const hearth::Error&) {
  }
  return 0;
}
