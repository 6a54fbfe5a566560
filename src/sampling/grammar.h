// GBNF grammars (llama.cpp's dialect): parsed into a flat rule table, then matched by a set of
// pushdown stacks advanced one code point at a time. The matcher is what constrains sampling,
// what `hearth grammar check` runs, and what JSON-schema output compiles to.
//
// Syntax: `name ::= alternatives` (names are letters, digits and '-'; the start rule is `root`),
// alternatives separated by `|`, sequences of "literals", [classes] (ranges, ^ negation), `.`
// (any character), rule names and ( groups ), each optionally followed by * + ? {m} {m,} {m,n}.
// Escapes: \n \r \t \\ \" \[ \] \xHH \uHHHH \UHHHHHHHH. `#` starts a comment. A rule ends at the
// end of its line except inside parentheses or right after `|`.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::sampling {

struct CharSet {
  bool negated = false;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;  // inclusive code point ranges
  bool contains(uint32_t cp) const;
  // Whether some code point in [lo, hi] is in the set (a partial UTF-8 sequence's possible ends).
  bool intersects(uint32_t lo, uint32_t hi) const;
};

class Grammar {
 public:
  // Element kinds in the flat table. Every alternative is a run of elements ended by `end`.
  enum class Kind : uint8_t { chars, ref, end };
  struct Elem {
    Kind kind;
    uint32_t value;  // chars: index into sets(); ref: rule index
  };

  // Throws Error(invalid_argument) "grammar: line L, column C: what" on any syntax error, an
  // undefined rule (even one root never reaches), a missing root, or left recursion.
  static std::shared_ptr<const Grammar> parse(std::string_view text);

  const std::vector<Elem>& elems() const { return elems_; }
  const std::vector<CharSet>& sets() const { return sets_; }
  // Start positions (indices into elems()) of each rule's alternatives.
  const std::vector<std::vector<uint32_t>>& rules() const { return rules_; }
  const std::vector<std::string>& rule_names() const { return names_; }
  uint32_t root() const { return root_; }

 private:
  friend class GrammarBuilder;
  std::vector<Elem> elems_;
  std::vector<CharSet> sets_;
  std::vector<std::vector<uint32_t>> rules_;
  std::vector<std::string> names_;
  uint32_t root_ = 0;
};

// Where a grammar has got to in a text: the set of parse stacks still alive. Copyable; copies
// are independent (the token filter explores many continuations from one state).
class GrammarMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<const Grammar> g);

  // Feeds bytes (UTF-8, may end inside a character). False, with the state unchanged, when the
  // grammar cannot accept them; then failed_at() is the offset within `bytes` of the first byte
  // it could not take. Throws Error(invalid_argument) when the grammar is so ambiguous that the
  // text can be read in more than 20,000 ways at once.
  bool accept(std::string_view bytes);
  size_t failed_at() const { return failed_at_; }

  // The text so far is a complete sentence of the grammar.
  bool complete() const;
  // Some non-empty continuation is still possible.
  bool can_continue() const;

  // Number of live parse stacks (for tests and diagnostics).
  size_t n_stacks() const { return stacks_.size(); }

  // Whether two matchers of one grammar are in the same parse state (the same stacks and the same
  // unfinished character), and a hash of that state: the vocabulary mask stores each state once.
  bool same_state(const GrammarMatcher& o) const { return stacks_ == o.stacks_ && pending_ == o.pending_; }
  size_t state_hash() const;

 private:
  using Stack = std::vector<uint32_t>;
  void expand(Stack s, std::vector<Stack>& out) const;
  bool advance(uint32_t cp);
  bool partial_viable(const std::string& pending) const;

  std::shared_ptr<const Grammar> g_;
  std::vector<Stack> stacks_;  // sorted, unique; an empty stack means "complete here"
  std::string pending_;        // bytes of an unfinished UTF-8 character
  size_t failed_at_ = 0;
};

}  // namespace hearth::sampling
