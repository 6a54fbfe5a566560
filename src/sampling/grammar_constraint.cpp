#include "sampling/grammar_constraint.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

std::vector<bool> GrammarConstraint::allowed() const {
  std::vector<bool> ok(vocab_->size(), false);
  if (m_.complete())
    for (int32_t id : vocab_->eog_ids()) ok[static_cast<size_t>(id)] = true;
  if (!m_.can_continue()) return ok;
  // states[d]: the matcher after the first d bytes of the current token; valid up to `valid`.
  std::vector<GrammarMatcher> states{m_};
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
    if (states.size() < p.size() + 1) states.resize(p.size() + 1, m_);
    for (; d < p.size(); ++d) {
      states[d + 1] = states[d];
      if (!states[d + 1].accept(std::string_view(p).substr(d, 1))) {
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
