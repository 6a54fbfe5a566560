// UTF-8 helpers shared by parsers: validation with the offending byte's position, and code
// point iteration for tokenizers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::utf8 {

// Byte offset of the first invalid sequence, or nullopt when `s` is valid UTF-8
// (overlongs, surrogates and code points above U+10FFFF are invalid).
std::optional<size_t> find_invalid(std::string_view s);
inline bool valid(std::string_view s) { return !find_invalid(s).has_value(); }

// Length in bytes of the sequence starting with lead byte `c` (1 for invalid leads).
size_t seq_len(uint8_t c);

// Decodes the code point at s[pos]; advances pos. Invalid bytes decode as U+FFFD, one byte.
uint32_t decode(std::string_view s, size_t& pos);

// Decodes the code point at s[pos] strictly, for parsers fed a stream in pieces: returns its
// length in bytes, 0 when s ends inside the sequence, -1 when it is invalid.
int decode_strict(std::string_view s, size_t pos, uint32_t* cp);

void append(std::string& out, uint32_t cp);

// The start of the character holding byte `pos` (pos itself unless it is a continuation byte):
// where to cut `s` without splitting a sequence. pos may be s.size().
inline size_t char_start(std::string_view s, size_t pos) {
  while (pos > 0 && pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) --pos;
  return pos;
}

// `s` as a JSON string literal the way Python's json.dumps writes it: \" \\ \n \r \t \b \f,
// other controls as \u00XX, and with `ascii` (ensure_ascii) every non-ASCII character as \uXXXX
// (surrogate pairs above U+FFFF). Chat templates' tojson and JSON-schema const values use it.
void append_python_json_string(std::string& out, std::string_view s, bool ascii);

// Replaces invalid sequences with U+FFFD so the result can be put in JSON.
std::string sanitize(std::string_view s);

}  // namespace hearth::utf8
