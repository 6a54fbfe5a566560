// The matcher: every way the grammar could have read the text so far is one stack of positions
// (the innermost alternative on top). Stacks are kept "expanded": the top is always a character
// set, or the stack is empty, meaning the whole root rule has been read.
#include <algorithm>
#include <optional>

#include "core/error.h"
#include "core/utf8.h"
#include "sampling/grammar.h"

namespace hearth::sampling {

namespace {
constexpr size_t kMaxStacks = 20000;

[[noreturn]] void too_ambiguous() {
  fail(Errc::invalid_argument, "grammar: too ambiguous to follow (more than " + std::to_string(kMaxStacks) +
                                   " ways to read the text so far)");
}
}  // namespace

bool CharSet::contains(uint32_t cp) const {
  bool in = false;
  for (const auto& [lo, hi] : ranges)
    if (cp >= lo && cp <= hi) { in = true; break; }
  return in != negated;
}

bool CharSet::intersects(uint32_t lo, uint32_t hi) const {
  if (!negated) {
    for (const auto& [a, b] : ranges)
      if (a <= hi && b >= lo) return true;
    return false;
  }
  // Negated: is some point of [lo, hi] left uncovered by the ranges?
  auto sorted = ranges;
  std::sort(sorted.begin(), sorted.end());
  uint32_t next = lo;  // smallest point not yet known to be covered
  for (const auto& [a, b] : sorted) {
    if (a > next) break;
    if (b >= next) {
      if (b >= hi) return false;
      next = b + 1;
    }
  }
  return next <= hi;
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> g) : g_(std::move(g)) {
  for (uint32_t start : g_->rules()[g_->root()]) expand({start}, stacks_);
  std::sort(stacks_.begin(), stacks_.end());
  stacks_.erase(std::unique(stacks_.begin(), stacks_.end()), stacks_.end());
}

void GrammarMatcher::expand(Stack s, std::vector<Stack>& out) const {
  const auto& elems = g_->elems();
  while (!s.empty()) {
    const auto& e = elems[s.back()];
    if (e.kind == Grammar::Kind::chars) break;
    if (e.kind == Grammar::Kind::end) {
      s.pop_back();
      continue;
    }
    // A reference: the caller resumes after it; each alternative of the callee is one new stack.
    ++s.back();
    const auto& alts = g_->rules()[e.value];
    for (size_t k = 0; k + 1 < alts.size(); ++k) {
      Stack t = s;
      t.push_back(alts[k]);
      expand(std::move(t), out);
    }
    s.push_back(alts.back());
  }
  out.push_back(std::move(s));
  // Before deduplication: nested empty alternatives (("" | ""){400}) multiply without bound.
  if (out.size() > 4 * kMaxStacks) too_ambiguous();
}

bool GrammarMatcher::advance(uint32_t cp) {
  std::vector<Stack> next;
  const auto& elems = g_->elems();
  for (const auto& s : stacks_) {
    if (s.empty()) continue;
    if (!g_->sets()[elems[s.back()].value].contains(cp)) continue;
    Stack t = s;
    ++t.back();
    expand(std::move(t), next);
  }
  if (next.empty()) return false;
  std::sort(next.begin(), next.end());
  next.erase(std::unique(next.begin(), next.end()), next.end());
  // A grammar this ambiguous would cost seconds a character; say so rather than hang.
  if (next.size() > kMaxStacks) too_ambiguous();
  stacks_ = std::move(next);
  return true;
}

// Whether some stack could take a character that starts with the bytes of `pending`.
bool GrammarMatcher::partial_viable(const std::string& pending) const {
  const auto b0 = static_cast<unsigned char>(pending[0]);
  const int n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  uint32_t lo = b0 & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < pending.size(); ++k) lo = (lo << 6) | (static_cast<unsigned char>(pending[k]) & 0x3F);
  const int missing = n - static_cast<int>(pending.size());
  uint32_t hi = ((lo + 1) << (6 * missing)) - 1;
  lo <<= 6 * missing;
  // Only characters this sequence length can encode (no overlongs, nothing past U+10FFFF).
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  lo = std::max(lo, kMin[n]);
  hi = std::min<uint32_t>(hi, 0x10FFFF);
  if (lo > hi) return false;
  const auto& elems = g_->elems();
  for (const auto& s : stacks_)
    if (!s.empty() && g_->sets()[elems[s.back()].value].intersects(lo, hi)) return true;
  return false;
}

bool GrammarMatcher::accept(std::string_view bytes) {
  std::string buf = pending_;
  const size_t carried = buf.size();
  buf.append(bytes);
  // advance() changes nothing when it fails, so the stacks are copied for a rollback only when
  // a later character could still fail after an earlier one succeeded (the vocabulary mask feeds
  // one byte at a time and never needs the copy).
  std::optional<std::vector<Stack>> saved;
  auto reject = [&](size_t at) {
    if (saved) stacks_ = std::move(*saved);
    failed_at_ = at;
    return false;
  };
  size_t i = 0;
  while (i < buf.size()) {
    uint32_t cp = 0;
    const int n = utf8::decode_strict(buf, i, &cp);
    const size_t at = i >= carried ? i - carried : 0;
    if (n < 0) return reject(at);
    if (n == 0) {
      std::string rest = buf.substr(i);
      if (!partial_viable(rest)) return reject(at);
      pending_ = std::move(rest);
      return true;
    }
    if (!saved && i + static_cast<size_t>(n) < buf.size()) saved = stacks_;
    if (!advance(cp)) return reject(at);
    i += static_cast<size_t>(n);
  }
  pending_.clear();
  return true;
}

size_t GrammarMatcher::state_hash() const {
  uint64_t h = 0xcbf29ce484222325ull ^ pending_.size();  // FNV-1a over the stacks' words
  const auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001b3ull; };
  for (const auto& s : stacks_) {
    mix(s.size());
    for (uint32_t e : s) mix(e);
  }
  for (unsigned char c : pending_) mix(c);
  return static_cast<size_t>(h);
}

bool GrammarMatcher::complete() const {
  return pending_.empty() && !stacks_.empty() && stacks_.front().empty();  // sorted: empty first
}

bool GrammarMatcher::can_continue() const {
  return std::any_of(stacks_.begin(), stacks_.end(), [](const Stack& s) { return !s.empty(); });
}

}  // namespace hearth::sampling
