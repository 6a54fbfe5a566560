#include "core/utf8.h"

#include <cstdio>

namespace hearth::utf8 {

size_t seq_len(uint8_t c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

namespace {

// Returns the length of a valid sequence at s[pos], or 0 if invalid.
size_t valid_len(std::string_view s, size_t pos, uint32_t* out) {
  uint8_t c = static_cast<uint8_t>(s[pos]);
  if (c < 0x80) {
    if (out) *out = c;
    return 1;
  }
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (pos + n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    uint8_t d = static_cast<uint8_t>(s[pos + i]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  if (out) *out = cp;
  return n;
}

}  // namespace

std::optional<size_t> find_invalid(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t n = valid_len(s, pos, nullptr);
    if (n == 0) return pos;
    pos += n;
  }
  return std::nullopt;
}

uint32_t decode(std::string_view s, size_t& pos) {
  uint32_t cp = 0;
  size_t n = valid_len(s, pos, &cp);
  if (n == 0) {
    ++pos;
    return 0xFFFD;
  }
  pos += n;
  return cp;
}

void append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    size_t n = valid_len(s, pos, nullptr);
    if (n == 0) {
      append(out, 0xFFFD);
      ++pos;
    } else {
      out.append(s.substr(pos, n));
      pos += n;
    }
  }
  return out;
}

int decode_strict(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int n;
  uint32_t v;
  if (b0 < 0x80) { *cp = b0; return 1; }
  if ((b0 & 0xE0) == 0xC0) { n = 2; v = b0 & 0x1F; }
  else if ((b0 & 0xF0) == 0xE0) { n = 3; v = b0 & 0x0F; }
  else if ((b0 & 0xF8) == 0xF0) { n = 4; v = b0 & 0x07; }
  else return -1;
  for (int k = 1; k < n; ++k) {
    if (i + static_cast<size_t>(k) >= s.size()) return 0;
    const auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) return -1;
    v = (v << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return -1;
  *cp = v;
  return n;
}

void append_python_json_string(std::string& out, std::string_view s, bool ascii) {
  out += '"';
  size_t pos = 0;
  while (pos < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c < 0x80) {
      ++pos;
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            out += b;
          } else {
            out += static_cast<char>(c);
          }
      }
      continue;
    }
    size_t start = pos;
    uint32_t cp = decode(s, pos);
    if (!ascii) {
      out.append(s.substr(start, pos - start));
      continue;
    }
    char b[16];
    if (cp >= 0x10000) {
      uint32_t v = cp - 0x10000;
      std::snprintf(b, sizeof b, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
    } else {
      std::snprintf(b, sizeof b, "\\u%04x", cp);
    }
    out += b;
  }
  out += '"';
}


}  // namespace hearth::utf8
