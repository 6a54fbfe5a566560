#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "core/utf8.h"
#include "gguf/gguf.h"
#include "tokenizer/algorithms.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {

struct Tokenizer::Impl {
  std::unique_ptr<PreTokenizer> pre;  // BPE only
  std::vector<int32_t> specials;      // control/user-defined/unknown ids, longest text first
};

namespace {

// A run of the input: either plain text [offset, offset+len) or an already-known token.
struct Fragment {
  int32_t token;  // -1 for text
  size_t offset, len;
};

// C's isspace in the "C" locale, which is what llama.cpp's strip attributes test.
bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool is_special_type(TokenType t) {
  return t == TokenType::control || t == TokenType::user_defined || t == TokenType::unknown;
}

}  // namespace

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)), impl_(std::make_unique<Impl>()) {
  if (vocab_.type == VocabType::bpe) impl_->pre = std::make_unique<PreTokenizer>(vocab_.pre);
  for (size_t i = 0; i < vocab_.tokens.size(); ++i)
    if (is_special_type(vocab_.tokens[i].type) && !vocab_.tokens[i].text.empty())
      impl_->specials.push_back(static_cast<int32_t>(i));
  std::stable_sort(impl_->specials.begin(), impl_->specials.end(), [&](int32_t a, int32_t b) {
    return vocab_.tokens[a].text.size() > vocab_.tokens[b].text.size();
  });
}

Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const gguf::File& file) {
  return from_vocab(load_vocab(file));
}

std::unique_ptr<Tokenizer> Tokenizer::from_vocab(Vocab vocab) {
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(vocab)));
}

const std::string& Tokenizer::token_text(int32_t id) const {
  static const std::string empty;
  return vocab_.valid_id(id) ? vocab_.tokens[id].text : empty;
}

int32_t Tokenizer::find_token(std::string_view text) const { return vocab_.find(text); }

bool Tokenizer::is_eog(int32_t id) const {
  return id >= 0 &&
         std::find(vocab_.eog_ids.begin(), vocab_.eog_ids.end(), id) != vocab_.eog_ids.end();
}

bool Tokenizer::is_control(int32_t id) const {
  return vocab_.valid_id(id) && vocab_.tokens[id].type == TokenType::control;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  // Cut special-token texts out of the input, longest token first. Without parse_special only
  // user-defined tokens are cut (llama.cpp does the same).
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({-1, 0, text.size()});
  for (int32_t id : impl_->specials) {
    const TokenData& tok = vocab_.tokens[id];
    if (!parse_special && tok.type != TokenType::user_defined) continue;
    const std::string& needle = tok.text;
    if (text.find(needle) == std::string_view::npos) continue;  // cheap common case
    std::vector<Fragment> next;
    next.reserve(frags.size() + 2);
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      std::string_view s = text.substr(f.offset, f.len);
      size_t pos = 0;
      for (size_t hit; (hit = s.find(needle, pos)) != std::string_view::npos;) {
        size_t left_end = hit;
        if (tok.lstrip)
          while (left_end > pos && is_ascii_space(s[left_end - 1])) --left_end;
        if (left_end > pos) next.push_back({-1, f.offset + pos, left_end - pos});
        next.push_back({id, 0, 0});
        pos = hit + needle.size();
        if (tok.rstrip)
          while (pos < s.size() && is_ascii_space(s[pos])) ++pos;
      }
      if (pos < s.size()) next.push_back({-1, f.offset + pos, s.size() - pos});
    }
    frags.swap(next);
  }

  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  const bool bos = add_special && vocab_.add_bos && vocab_.bos_id >= 0;
  if (bos) out.push_back(vocab_.bos_id);

  switch (vocab_.type) {
    case VocabType::spm: {
      bool prev_special = true;  // the first run gets the space prefix
      std::string buf;
      for (const Fragment& f : frags) {
        if (f.token >= 0) {
          out.push_back(f.token);
          prev_special = true;
          continue;
        }
        buf.clear();
        if (vocab_.add_space_prefix && prev_special) buf = "\xE2\x96\x81";
        for (char c : text.substr(f.offset, f.len)) {
          if (c == ' ') buf += "\xE2\x96\x81";
          else buf += c;
        }
        spm_tokenize(vocab_, buf, out);
        prev_special = false;
      }
      break;
    }
    case VocabType::bpe:
      for (const Fragment& f : frags) {
        if (f.token >= 0) out.push_back(f.token);
        else bpe_tokenize(vocab_, *impl_->pre, text.substr(f.offset, f.len), out);
      }
      break;
    case VocabType::wpm:
      for (const Fragment& f : frags) {
        if (f.token >= 0) out.push_back(f.token);
        else wpm_tokenize(vocab_, text.substr(f.offset, f.len), out);
      }
      break;
  }

  if (add_special) {
    if (vocab_.type == VocabType::wpm) {
      if (vocab_.add_sep && vocab_.sep_id >= 0) out.push_back(vocab_.sep_id);
    } else if (vocab_.add_eos && vocab_.eos_id >= 0) {
      out.push_back(vocab_.eos_id);
    }
  }
  return out;
}

std::string Tokenizer::token_to_piece(int32_t id, bool render_special) const {
  if (!vocab_.valid_id(id)) return {};
  const TokenData& tok = vocab_.tokens[id];
  switch (tok.type) {
    case TokenType::control:
      return render_special ? tok.text : std::string();
    case TokenType::user_defined:
      return tok.text;
    case TokenType::unknown:
      if (vocab_.type == VocabType::bpe) return render_special ? tok.text : std::string();
      return "\xE2\x96\x85";  // U+2585, what llama.cpp prints for <unk>
    case TokenType::byte:
      if (vocab_.type != VocabType::bpe && tok.text.size() == 6 && tok.text.rfind("<0x", 0) == 0)
        return std::string(1, static_cast<char>(std::stoi(tok.text.substr(3, 2), nullptr, 16)));
      break;
    default:
      break;
  }
  if (tok.type == TokenType::unused) return {};
  if (vocab_.type == VocabType::bpe) {
    // Undo the byte-level encoding; code points outside the byte map pass through as UTF-8.
    std::string out;
    size_t pos = 0;
    while (pos < tok.text.size()) {
      uint32_t cp = utf8::decode(tok.text, pos);
      int b = unicode::text_cpt_to_byte(cp);
      if (b >= 0) out += static_cast<char>(b);
      else utf8::append(out, cp);
    }
    return out;
  }
  // SPM and WPM: U+2581 stands for a space.
  std::string out;
  out.reserve(tok.text.size());
  for (size_t i = 0; i < tok.text.size(); ++i) {
    if (tok.text.compare(i, 3, "\xE2\x96\x81") == 0) {
      out += ' ';
      i += 2;
    } else {
      out += tok.text[i];
    }
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool render_special) const {
  size_t begin = 0, end = ids.size();
  if (!render_special) {
    if (vocab_.add_bos && end > begin && ids[begin] == vocab_.bos_id) ++begin;
    if (vocab_.add_eos && end > begin && ids[end - 1] == vocab_.eos_id) --end;
  }
  std::string out;
  const bool strip = vocab_.add_space_prefix || vocab_.type == VocabType::wpm;
  for (size_t i = begin; i < end; ++i) {
    std::string piece = token_to_piece(ids[i], render_special);
    // The space the encoder put in front of the text is not part of it (first token only).
    if (i == begin && strip && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    out += piece;
  }
  return out;
}

std::string StreamDecoder::push(int32_t id) {
  const bool as_text = render_special_ || std::find(text_tokens_.begin(), text_tokens_.end(), id) != text_tokens_.end();
  std::string piece = tok_.token_to_piece(id, as_text);
  const Vocab& v = tok_.vocab();
  if (first_) {
    if (!piece.empty() && piece[0] == ' ' && (v.add_space_prefix || v.type == VocabType::wpm))
      piece.erase(0, 1);
    // Like decode(): only the first token after an optional BOS can carry the prefix space.
    first_ = id == tok_.bos() && tok_.add_bos();
  }
  pending_ += piece;
  // Hold back a trailing incomplete sequence (at most 3 bytes of a 4-byte character).
  size_t cut = pending_.size();
  for (size_t back = 1; back <= 3 && back <= pending_.size(); ++back) {
    uint8_t c = static_cast<uint8_t>(pending_[pending_.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = c >= 0xC0 ? utf8::seq_len(c) : 1;
    if (need > back) cut = pending_.size() - back;
    break;
  }
  std::string out = utf8::sanitize(std::string_view(pending_).substr(0, cut));
  pending_.erase(0, cut);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = utf8::sanitize(pending_);
  pending_.clear();
  return out;
}

}  // namespace hearth::tokenizer
