// The vocabulary a tokenizer works from: token texts, scores, attributes, merges and the flags
// llama.cpp derives from GGUF metadata (tokenizer.ggml.*).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hearth::gguf {
class File;
}

namespace hearth::tokenizer {

enum class VocabType { spm, bpe, wpm };

// tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
  undefined = 0, normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6,
};

struct TokenData {
  std::string text;
  float score = 0.0f;
  TokenType type = TokenType::normal;
  // When cut out of a text as a special token, it swallows the whitespace on its left (lstrip)
  // or right (rstrip). GGUF does not store these; load_vocab sets them per model family.
  bool lstrip = false, rstrip = false;
};

// string_view lookups into a map keyed by std::string without allocating.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Vocab {
  VocabType type = VocabType::spm;
  std::string pre = "default";  // tokenizer.ggml.pre
  std::vector<TokenData> tokens;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> token_to_id;
  // BPE merges: (left id << 32 | right id) -> rank.
  std::unordered_map<uint64_t, int32_t> merge_rank;

  int32_t bos_id = -1, eos_id = -1, eot_id = -1, unk_id = -1, sep_id = -1, pad_id = -1;
  int32_t mask_id = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_sep = false;            // WPM: [SEP] at the end
  bool add_space_prefix = false;   // SPM: prepend ' ' to text
  bool remove_extra_whitespaces = false;
  bool ignore_merges = false;      // BPE (llama-3): a whole pre-token in the vocab is kept
  std::vector<int32_t> eog_ids;    // end-of-generation set
  size_t max_token_len = 0;

  int32_t find(std::string_view text) const {
    auto it = token_to_id.find(text);
    return it == token_to_id.end() ? -1 : it->second;
  }
  bool valid_id(int64_t id) const { return id >= 0 && id < static_cast<int64_t>(tokens.size()); }

  // Fills token_to_id, max_token_len, eog_ids and checks every id; throws Error(format).
  // `merges` are "left right" strings (BPE only). `where` names the source in errors.
  void finalize(const std::vector<std::string>& merges, const std::string& where);
};

// Builds a Vocab from tokenizer.ggml.* metadata. Throws Error(format|unsupported).
Vocab load_vocab(const gguf::File& file);

}  // namespace hearth::tokenizer
