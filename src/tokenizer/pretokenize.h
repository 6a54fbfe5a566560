// Byte-level BPE pre-tokenization: the regex cascade each llama.cpp pre-tokenizer type applies.
// Each regex refines the pieces of the previous one; text a regex does not match stays a piece
// of its own. Regexes run with PCRE2 in UTF + Unicode-property mode on one piece at a time, so
// anchors and look-aheads never see past the piece.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::tokenizer {

class PreTokenizer {
 public:
  // Throws Error(unsupported) for an unknown pre-tokenizer name.
  explicit PreTokenizer(const std::string& pre);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Pieces of `text` (invalid UTF-8 bytes become U+FFFD), each GPT-2 byte-encoded.
  std::vector<std::string> split(std::string_view text) const;

  // Names of the regex sets, for docs and errors.
  static std::vector<std::string> known_names();

 private:
  struct Compiled;
  std::vector<std::unique_ptr<Compiled>> regexes_;
};

// The regex list for a pre-tokenizer name, or empty when the name is unknown.
std::vector<std::string> pretokenizer_regexes(const std::string& pre);

}  // namespace hearth::tokenizer
