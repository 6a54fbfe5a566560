#include "sampling/grammar_constraint.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "core/error.h"
#include "sampling/sampler.h"

namespace hearth::sampling {

TokenBytes::TokenBytes(std::vector<std::string> pieces, std::vector<bool> eog)
    : pieces_(std::move(pieces)), eog_(std::move(eog)) {
  eog_.resize(pieces_.size(), false);
  for (size_t i = 0; i < pieces_.size(); ++i) {
    if (eog_[i]) {
      eog_ids_.push_back(static_cast<int32_t>(i));
      pieces_[i].clear();  // ends generation; never text the grammar reads
    } else if (!pieces_[i].empty()) {
      sorted_.push_back(static_cast<int32_t>(i));
    }
  }
  std::sort(sorted_.begin(), sorted_.end(), [&](int32_t a, int32_t b) { return pieces_[a] < pieces_[b]; });
}

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> g, std::shared_ptr<const TokenBytes> vocab)
    : vocab_(std::move(vocab)), m_(std::move(g)) {}

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> g, std::shared_ptr<const TokenBytes> vocab,
                                     std::vector<std::string> triggers)
    : vocab_(std::move(vocab)), m_(std::move(g)), triggers_(std::move(triggers)) {
  std::erase_if(triggers_, [](const std::string& t) { return t.empty(); });
  active_ = triggers_.empty();
}

void GrammarConstraint::add_text_token(int32_t token, std::string text) {
  if (token < 0 || static_cast<size_t>(token) >= vocab_->size() || vocab_->eog(token) || text.empty()) return;
  text_tokens_.emplace_back(token, std::move(text));
}

const std::string& GrammarConstraint::piece(int32_t token) const {
  for (const auto& [id, text] : text_tokens_)
    if (id == token) return text;
  return vocab_->piece(token);
}

size_t GrammarConstraint::trigger_at(const std::string& text) const {
  size_t best = std::string::npos;
  for (const auto& t : triggers_) best = std::min(best, text.find(t));
  return best;
}

bool GrammarConstraint::allows(int32_t token) const {
  if (token < 0 || static_cast<size_t>(token) >= vocab_->size()) return false;
  if (!active_) {
    if (vocab_->eog(token)) return true;
    const std::string text = tail_ + piece(token);
    const size_t at = trigger_at(text);
    if (at == std::string::npos) return true;
    GrammarMatcher m = m_;
    return m.accept(std::string_view(text).substr(at));
  }
  if (vocab_->eog(token)) return m_.complete();
  const std::string& p = piece(token);
  if (p.empty()) return false;
  GrammarMatcher m = m_;
  return m.accept(p);
}

namespace {

// The parse states met while masking the vocabulary, each stored once, and the byte transitions
// between them. Inside a JSON string nearly every byte leads back to the state it left, so after
// the first few tokens a step of the walk below is a table lookup instead of a matcher copy and a
// parse (a mask over a 152k vocabulary inside a string: 179 ms before).
class StateGraph {
 public:
  explicit StateGraph(const GrammarMatcher& start) { intern(start); }

  // The state after `byte` from state `id`, or -1 when the grammar refuses the byte there.
  int32_t step(int32_t id, unsigned char byte) {
    int32_t* slot = nullptr;
    if (static_cast<size_t>(id) < kDenseStates) {
      auto& row = rows_[static_cast<size_t>(id)];
      if (!row) {
        row = std::make_unique<std::array<int32_t, 256>>();
        row->fill(kUnknown);
      }
      slot = &(*row)[byte];
    } else {  // past the dense rows' memory budget: a map
      slot = &sparse_.try_emplace((static_cast<uint64_t>(id) << 8) | byte, kUnknown).first->second;
    }
    if (*slot != kUnknown) return *slot;
    GrammarMatcher m = states_[static_cast<size_t>(id)];
    const char c = static_cast<char>(byte);
    // intern() does not touch rows_ or sparse_, so `slot` stays valid.
    *slot = m.accept(std::string_view(&c, 1)) ? intern(std::move(m)) : -1;
    return *slot;
  }

 private:
  static constexpr int32_t kUnknown = -2;
  static constexpr size_t kDenseStates = 8192;  // 1 KiB of transitions each, 8 MiB at most

  int32_t intern(GrammarMatcher m) {
    const size_t h = m.state_hash();
    auto range = by_hash_.equal_range(h);
    for (auto it = range.first; it != range.second; ++it)
      if (states_[static_cast<size_t>(it->second)].same_state(m)) return it->second;
    const auto id = static_cast<int32_t>(states_.size());
    states_.push_back(std::move(m));
    if (rows_.size() < std::min(states_.size(), kDenseStates)) rows_.resize(std::min(states_.size(), kDenseStates));
    by_hash_.emplace(h, id);
    return id;
  }

  std::vector<GrammarMatcher> states_;
  std::unordered_multimap<size_t, int32_t> by_hash_;
  std::vector<std::unique_ptr<std::array<int32_t, 256>>> rows_;
  std::unordered_map<uint64_t, int32_t> sparse_;
};

}  // namespace

std::vector<bool> GrammarConstraint::allowed() const {
  std::vector<bool> ok(vocab_->size(), false);
  if (m_.complete())
    for (int32_t id : vocab_->eog_ids()) ok[static_cast<size_t>(id)] = true;
  if (!m_.can_continue()) return ok;
  // The pieces in sorted order share prefixes with the one before: states[d] is the state after
  // the first d bytes of the current piece, valid up to `valid`.
  StateGraph graph(m_);
  std::vector<int32_t> states{0};
  size_t valid = 0;
  size_t dead = SIZE_MAX;  // the previous token's first `dead` bytes cannot be matched
  const std::string* prev = nullptr;
  for (int32_t id : vocab_->sorted()) {
    const std::string& p = vocab_->piece(id);
    size_t common = 0;
    if (prev) {
      const size_t n = std::min(p.size(), prev->size());
      while (common < n && p[common] == (*prev)[common]) ++common;
    }
    prev = &p;
    if (dead != SIZE_MAX && common >= dead) continue;  // starts with the dead prefix
    dead = SIZE_MAX;
    size_t d = std::min(common, valid);
    if (states.size() < p.size() + 1) states.resize(p.size() + 1, 0);
    for (; d < p.size(); ++d) {
      states[d + 1] = graph.step(states[d], static_cast<unsigned char>(p[d]));
      if (states[d + 1] < 0) {
        dead = d + 1;
        break;
      }
    }
    valid = dead == SIZE_MAX ? p.size() : dead - 1;
    if (dead == SIZE_MAX) ok[static_cast<size_t>(id)] = true;
  }
  for (const auto& [id, text] : text_tokens_) {
    GrammarMatcher m = m_;
    ok[static_cast<size_t>(id)] = m.accept(text);
  }
  return ok;
}

void GrammarConstraint::mask(std::vector<Candidate>& c) const {
  if (!active_) {  // only a token that completes a trigger can be refused: check each alone
    for (auto& x : c)
      if (!allows(x.id)) x.logit = -std::numeric_limits<float>::infinity();
    return;
  }
  const std::vector<bool> ok = allowed();
  for (auto& x : c)
    if (x.id < 0 || static_cast<size_t>(x.id) >= ok.size() || !ok[static_cast<size_t>(x.id)])
      x.logit = -std::numeric_limits<float>::infinity();
}

void GrammarConstraint::accept(int32_t token) {
  if (!allows(token)) fail(Errc::internal, "grammar: token " + std::to_string(token) + " does not fit the grammar");
  if (vocab_->eog(token)) return;
  if (active_) {
    m_.accept(piece(token));
    return;
  }
  std::string text = tail_ + piece(token);
  const size_t at = trigger_at(text);
  if (at != std::string::npos) {
    active_ = true;
    tail_.clear();
    m_.accept(std::string_view(text).substr(at));
    return;
  }
  size_t longest = 0;
  for (const auto& t : triggers_) longest = std::max(longest, t.size());
  if (text.size() >= longest) text.erase(0, text.size() - (longest - 1));
  tail_ = std::move(text);
}

}  // namespace hearth::sampling
