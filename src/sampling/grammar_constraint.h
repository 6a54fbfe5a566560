// Grammar-constrained sampling: which tokens may come next so the output stays a prefix of a
// sentence of the grammar. Checking a single token is cheap; masking the whole vocabulary walks
// the tokens in byte order so tokens sharing a prefix share the work (and a dead prefix rules
// out every token that starts with it).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sampling/grammar.h"

namespace hearth::sampling {

struct Candidate;

// The vocabulary as a grammar sees it: each token's output bytes, and which tokens end
// generation. Control tokens that do not end generation have no bytes and are never allowed.
class TokenBytes {
 public:
  TokenBytes(std::vector<std::string> pieces, std::vector<bool> eog);
  size_t size() const { return pieces_.size(); }
  const std::string& piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }
  bool eog(int32_t id) const { return eog_[static_cast<size_t>(id)]; }
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }
  // Ids with bytes, sorted by their bytes.
  const std::vector<int32_t>& sorted() const { return sorted_; }

 private:
  std::vector<std::string> pieces_;
  std::vector<bool> eog_;
  std::vector<int32_t> eog_ids_, sorted_;
};

class GrammarConstraint {
 public:
  GrammarConstraint(std::shared_ptr<const Grammar> g, std::shared_ptr<const TokenBytes> vocab);
  // A lazy grammar: output is free until one of `triggers` appears in it; from the trigger's first
  // byte on it must be a sentence of the grammar (a tool call after free text, say).
  GrammarConstraint(std::shared_ptr<const Grammar> g, std::shared_ptr<const TokenBytes> vocab,
                    std::vector<std::string> triggers);

  // Reads a control token (no bytes in the vocabulary's view) as `text`: a tool-call marker such
  // as Mistral's [TOOL_CALLS], which the grammar spells and the model writes as one token.
  void add_text_token(int32_t token, std::string text);

  bool allows(int32_t token) const;
  // Sets the logit of every candidate the grammar does not allow to -infinity.
  void mask(std::vector<Candidate>& c) const;
  // Advances past a sampled token. Throws Error(internal) if the grammar does not allow it.
  void accept(int32_t token);
  // The output is a complete sentence and nothing more can follow: only end-of-generation fits.
  bool finished() const { return active_ && m_.complete() && !m_.can_continue(); }
  bool active() const { return active_; }

 private:
  std::vector<bool> allowed() const;
  const std::string& piece(int32_t token) const;
  // Lazy and not yet triggered: where a trigger starts in tail_ + piece (npos: none).
  size_t trigger_at(const std::string& text) const;
  std::shared_ptr<const TokenBytes> vocab_;
  GrammarMatcher m_;
  std::vector<std::string> triggers_;
  std::vector<std::pair<int32_t, std::string>> text_tokens_;
  bool active_ = true;
  std::string tail_;  // lazy: the last output bytes, enough to see a trigger split across tokens
};

}  // namespace hearth::sampling
