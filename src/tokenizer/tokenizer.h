// Text <-> token ids for the vocabularies stored in GGUF files, matching llama.cpp's behaviour:
// SentencePiece-style (SPM, "llama"), byte-level BPE ("gpt2") and WordPiece (WPM, "bert").
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace hearth::gguf {
class File;
}

namespace hearth::tokenizer {

class Tokenizer {
 public:
  // Reads tokenizer.ggml.* metadata. Throws Error(format|unsupported) naming the bad key.
  static std::unique_ptr<Tokenizer> from_gguf(const gguf::File& file);
  // From an already validated vocabulary (tests, tools); throws like from_gguf.
  static std::unique_ptr<Tokenizer> from_vocab(Vocab vocab);
  ~Tokenizer();

  // add_special: BOS/EOS (CLS/SEP for WPM) as the vocabulary asks.
  // parse_special: control-token texts in `text` become their ids; user-defined tokens are
  // always matched (as llama.cpp does).
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;
  // Concatenated pieces; without render_special, control tokens are dropped and a leading
  // BOS/trailing EOS the vocabulary adds is removed.
  std::string decode(const std::vector<int32_t>& ids, bool render_special = false) const;
  // Bytes of one token (may be a partial UTF-8 sequence for byte tokens). Unknown ids give "".
  std::string token_to_piece(int32_t id, bool render_special = false) const;
  // Raw vocabulary text of a token (e.g. "▁the", "Ġthe"); "" for out-of-range ids.
  const std::string& token_text(int32_t id) const;
  // Id of an exact token text, or -1.
  int32_t find_token(std::string_view text) const;

  int32_t bos() const { return vocab_.bos_id; }
  int32_t eos() const { return vocab_.eos_id; }
  int32_t eot() const { return vocab_.eot_id; }
  int32_t unk() const { return vocab_.unk_id; }
  int32_t sep() const { return vocab_.sep_id; }
  int32_t pad() const { return vocab_.pad_id; }
  bool is_eog(int32_t id) const;
  bool is_control(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const { return vocab_.eog_ids; }
  size_t n_vocab() const { return vocab_.tokens.size(); }
  bool add_bos() const { return vocab_.add_bos; }
  bool add_eos() const { return vocab_.add_eos; }
  VocabType type() const { return vocab_.type; }
  const std::string& pre() const { return vocab_.pre; }
  const Vocab& vocab() const { return vocab_; }

 private:
  explicit Tokenizer(Vocab vocab);
  struct Impl;
  Vocab vocab_;
  std::unique_ptr<Impl> impl_;
};

// Turns a stream of token ids into text that is always whole UTF-8: bytes of a character split
// across byte tokens are held back until the character is complete.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tok, bool render_special = false)
      : tok_(tok), render_special_(render_special) {}
  // Text that became complete with this token (possibly empty).
  std::string push(int32_t id);
  // Whatever is still pending (invalid/incomplete bytes come out as U+FFFD).
  std::string flush();
  // Renders this control token as its text (a tool-call marker the reply parser reads).
  void add_text_token(int32_t id) { text_tokens_.push_back(id); }

 private:
  const Tokenizer& tok_;
  bool render_special_;
  std::vector<int32_t> text_tokens_;
  bool first_ = true;
  std::string pending_;
};

}  // namespace hearth::tokenizer
