// The three segmentation algorithms. Each appends the ids for one run of plain text (special
// tokens have already been cut out) to `out`.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/pretokenize.h"
#include "tokenizer/vocab.h"

namespace hearth::tokenizer {

// SentencePiece BPE as llama.cpp runs it: `text` already has spaces escaped to U+2581.
void spm_tokenize(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);
// Byte-level BPE: pre-tokenize, then merge by rank within each piece.
void bpe_tokenize(const Vocab& vocab, const PreTokenizer& pre, std::string_view text,
                  std::vector<int32_t>& out);
// BERT basic tokenization followed by greedy longest-match WordPiece.
void wpm_tokenize(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);

}  // namespace hearth::tokenizer
