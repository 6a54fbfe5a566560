// libFuzzer target for the GGUF reader: any input must either parse or throw hearth::Error;
// crashes, sanitizer reports, hangs and huge allocations are bugs.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "gguf/gguf.h"
#include "gguf/summary.h"

namespace {

void parse_and_touch(const uint8_t* data, size_t size, const hearth::gguf::ParseOptions& opts) {
  using namespace hearth::gguf;
  try {
    File f = File::parse(data, size, "fuzz.gguf", opts);
    // Touch what a loader would: every value through the typed accessors, every tensor's bytes.
    size_t sink = f.architecture().size();
    for (const auto& [key, value] : f.metadata()) {
      sink += key.size();
      try {
        switch (value.type) {
          case ValueType::STRING: sink += value.as_string().size(); break;
          case ValueType::ARRAY: {
            sink += value.as_array().items.size();
            (void)f.get_strings(key);
            break;
          }
          case ValueType::BOOL: sink += value.as_bool(); break;
          case ValueType::FLOAT32:
          case ValueType::FLOAT64: sink += static_cast<size_t>(value.as_float() != 0); break;
          default: sink += static_cast<size_t>(value.as_int()); break;
        }
      } catch (const hearth::Error&) {
        // Wrong-type lookups (strings of a non-string array, uint64 above INT64_MAX) are allowed.
      }
    }
    for (const auto& t : f.tensors()) {
      sink += static_cast<size_t>(t.n_elements() + t.rows());
      if (t.nbytes) sink += t.data[0] + t.data[t.nbytes - 1];
      if (f.find_tensor(t.name) == nullptr) __builtin_trap();
    }
    // What `hearth inspect` shows must work for anything the reader accepts.
    sink += hearth::gguf::summarize(f).dump().size();
    if (sink == 0x5eed) return;  // keeps the reads from being optimised away
  } catch (const hearth::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Strict, as every loader reads; and listing unknown tensor types, as `hearth inspect` does.
  parse_and_touch(data, size, {});
  parse_and_touch(data, size, {.allow_unknown_types = true});
  return 0;
}
