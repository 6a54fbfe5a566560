// Unicode facts the tokenizers need: GPT-2's byte <-> code point map, character classes
// (backed by utf8proc) and the per-code-point normalisations llama.cpp applies.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::tokenizer::unicode {

// Decodes UTF-8; each invalid byte becomes U+FFFD.
std::vector<uint32_t> to_cpts(std::string_view s);
std::string from_cpts(const std::vector<uint32_t>& cpts);

// GPT-2 byte-level encoding: every byte maps to one printable code point (as UTF-8 text).
const std::string& byte_to_text(uint8_t b);
// Reverse map; returns -1 when `cp` is not one of the 256 byte code points.
int text_cpt_to_byte(uint32_t cp);
// Encodes every byte of `s` with byte_to_text.
std::string byte_encode(std::string_view s);

bool is_whitespace(uint32_t cp);   // Unicode White_Space
bool is_punctuation(uint32_t cp);  // P*
bool is_symbol(uint32_t cp);       // S*
bool is_control(uint32_t cp);      // Cc, Cf, Co, Cs
bool is_chinese_char(uint32_t cp); // CJK ideograph blocks BERT splits on
uint32_t to_lower(uint32_t cp);
// First code point of the canonical decomposition (strips accents as llama.cpp's NFD map does).
uint32_t nfd_first(uint32_t cp);

}  // namespace hearth::tokenizer::unicode
