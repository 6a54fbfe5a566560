// GBNF grammars and JSON schemas from untrusted requests. Input: a mode byte, then
// "GRAMMAR-OR-SCHEMA \0 TEXT". The grammar (or the schema's converted grammar) is parsed and the
// text matched against it byte by byte and all at once; the only acceptable failure is a
// hearth::Error, and both ways of feeding the text must agree.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/json.h"
#include "sampling/grammar.h"
#include "sampling/json_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool schema_mode = data[0] & 1;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t nul = in.find('\0');
  const std::string_view spec = in.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  try {
    std::string gbnf(spec);
    if (schema_mode) {
      const auto schema = hearth::ordered_json::parse(spec, nullptr, false);
      if (schema.is_discarded()) return 0;
      gbnf = hearth::sampling::json_schema_to_gbnf(schema);
    }
    auto g = hearth::sampling::Grammar::parse(gbnf);
    hearth::sampling::GrammarMatcher whole(g), bytewise(g);
    const bool a = whole.accept(text) && whole.complete();
    bool b = true;
    for (char c : text)
      if (!(b = bytewise.accept(std::string_view(&c, 1)))) break;
    b = b && bytewise.complete();
    if (a != b) __builtin_trap();
  } catch (const hearth::Error&) {
  }
  return 0;
}
