// SPM: start from single UTF-8 characters and repeatedly merge the adjacent pair whose
// concatenation is the highest-scoring vocabulary token (leftmost on ties). Characters that end
// up outside the vocabulary fall back to <0xXX> byte tokens, then to the unknown token.
#include <algorithm>
#include <cstdio>
#include <queue>

#include "core/utf8.h"
#include "tokenizer/algorithms.h"

namespace hearth::tokenizer {
namespace {

struct SpmSymbol {
  int prev, next;
  size_t start, len;
};

struct SpmBigram {
  int left, right;
  float score;
  size_t size;
};

struct SpmBigramLess {
  bool operator()(const SpmBigram& a, const SpmBigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

int32_t byte_token(const Vocab& vocab, uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", b);
  int32_t id = vocab.find(buf);
  if (id >= 0) return id;
  id = vocab.find(std::string_view(reinterpret_cast<const char*>(&b), 1));
  return id >= 0 ? id : vocab.unk_id;
}

}  // namespace

void spm_tokenize(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  std::vector<SpmSymbol> syms;
  syms.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    size_t n = std::min(utf8::seq_len(static_cast<uint8_t>(text[pos])), text.size() - pos);
    int idx = static_cast<int>(syms.size());
    syms.push_back({idx - 1, pos + n == text.size() ? -1 : idx + 1, pos, n});
    pos += n;
  }

  std::priority_queue<SpmBigram, std::vector<SpmBigram>, SpmBigramLess> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    std::string_view piece = text.substr(syms[left].start, syms[left].len + syms[right].len);
    int32_t id = vocab.find(piece);
    if (id < 0) return;
    queue.push({left, right, vocab.tokens[id].score, piece.size()});
  };
  for (size_t i = 1; i < syms.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!queue.empty()) {
    SpmBigram b = queue.top();
    queue.pop();
    SpmSymbol& l = syms[b.left];
    SpmSymbol& r = syms[b.right];
    // Stale entry: one side was merged into something else since it was queued.
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.size) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  for (int i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) {
    std::string_view piece = text.substr(syms[i].start, syms[i].len);
    int32_t id = vocab.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char c : piece) {
      int32_t bt = byte_token(vocab, static_cast<uint8_t>(c));
      if (bt >= 0) out.push_back(bt);
    }
  }
}

}  // namespace hearth::tokenizer
