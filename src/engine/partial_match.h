// Streaming text is held back while its end could still grow into a tag the reader acts on (a
// stop string, </think>, a tool-call marker): the next token may complete it.
#pragma once
#include <algorithm>
#include <string_view>

namespace hearth::engine {

// Length of the longest suffix of `text` that is a proper prefix of `tag` (0 when none).
inline size_t partial_match(std::string_view text, std::string_view tag) {
  if (tag.empty()) return 0;
  for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n)
    if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

}  // namespace hearth::engine
