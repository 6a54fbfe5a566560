// Byte-level BPE: each pre-token is split into UTF-8 characters of its byte-encoded form, then
// the adjacent pair with the lowest merge rank is merged (leftmost on ties) until none is left.
#include <algorithm>
#include <queue>

#include "core/utf8.h"
#include "tokenizer/algorithms.h"

namespace hearth::tokenizer {
namespace {

struct Symbol {
  int prev, next;
  int32_t id;  // vocabulary id of the symbol's text, -1 when it is not a token
  size_t start, len;
};

struct Bigram {
  int left, right;
  int32_t rank;
  int32_t left_id, right_id;  // identities at queue time; a change means the entry is stale
};

struct BigramGreater {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

void merge_word(const Vocab& vocab, std::string_view word, std::vector<int32_t>& out,
                std::vector<Symbol>& syms) {
  syms.clear();
  if (vocab.ignore_merges) {
    int32_t id = vocab.find(word);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  for (size_t pos = 0; pos < word.size();) {
    size_t n = std::min(utf8::seq_len(static_cast<uint8_t>(word[pos])), word.size() - pos);
    int idx = static_cast<int>(syms.size());
    syms.push_back({idx - 1, pos + n == word.size() ? -1 : idx + 1,
                    vocab.find(word.substr(pos, n)), pos, n});
    pos += n;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramGreater> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    int32_t a = syms[left].id, b = syms[right].id;
    if (a < 0 || b < 0) return;
    auto it = vocab.merge_rank.find((static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b));
    if (it == vocab.merge_rank.end()) return;
    queue.push({left, right, it->second, a, b});
  };
  for (size_t i = 1; i < syms.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!queue.empty()) {
    Bigram bg = queue.top();
    queue.pop();
    Symbol& l = syms[bg.left];
    Symbol& r = syms[bg.right];
    if (l.len == 0 || r.len == 0 || l.id != bg.left_id || r.id != bg.right_id) continue;
    l.len += r.len;
    l.id = vocab.find(word.substr(l.start, l.len));
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = bg.left;
    try_add(l.prev, bg.left);
    try_add(bg.left, l.next);
  }

  for (int i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) {
    if (syms[i].id >= 0) {
      out.push_back(syms[i].id);
      continue;
    }
    // Not a token: emit whatever single bytes of it are (llama.cpp drops the rest).
    for (size_t k = 0; k < syms[i].len; ++k) {
      int32_t id = vocab.find(word.substr(syms[i].start + k, 1));
      if (id >= 0) out.push_back(id);
    }
  }
}

}  // namespace

void bpe_tokenize(const Vocab& vocab, const PreTokenizer& pre, std::string_view text,
                  std::vector<int32_t>& out) {
  std::vector<Symbol> syms;
  for (const std::string& word : pre.split(text)) merge_word(vocab, word, out, syms);
}

}  // namespace hearth::tokenizer
