// WordPiece as llama.cpp runs BERT vocabularies: the GGUF stores word-initial pieces with a
// U+2581 prefix and continuation pieces bare (the "##" already removed by the converter).
#include <algorithm>

#include "core/utf8.h"
#include "tokenizer/algorithms.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

// BERT basic tokenizer: strip accents (first code point of NFD), drop controls, lowercase,
// split on whitespace, and make punctuation, ASCII symbols and CJK ideographs words of their own.
std::vector<std::string> basic_split(std::string_view text) {
  std::vector<std::string> words(1);
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = unicode::nfd_first(utf8::decode(text, pos));
    if (unicode::is_whitespace(cp)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    if (cp == 0 || cp == 0xFFFD || unicode::is_control(cp)) continue;
    std::string s;
    utf8::append(s, unicode::to_lower(cp));
    if (unicode::is_punctuation(cp) || (cp < 0x7F && unicode::is_symbol(cp)) ||
        unicode::is_chinese_char(cp)) {
      if (!words.back().empty()) words.emplace_back();
      words.back() = std::move(s);
      words.emplace_back();
    } else {
      words.back() += s;
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

}  // namespace

void wpm_tokenize(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  for (const std::string& w : basic_split(text)) {
    std::string word = "\xE2\x96\x81" + w;
    const size_t n = word.size();
    const size_t mark = out.size();
    bool ok = true;
    for (size_t i = 0; i < n && ok;) {
      ok = false;
      for (size_t j = std::min(n, i + vocab.max_token_len + 1); j > i; --j) {
        int32_t id = vocab.find(std::string_view(word).substr(i, j - i));
        if (id >= 0) {
          out.push_back(id);
          i = j;
          ok = true;
          break;
        }
      }
    }
    if (!ok) out.resize(mark);  // any unmatched part makes the whole word unknown
    if (out.size() == mark && vocab.unk_id >= 0) out.push_back(vocab.unk_id);
  }
}

}  // namespace hearth::tokenizer
