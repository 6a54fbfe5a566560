// GBNF text -> Grammar's flat rule table. Groups become anonymous rules and repetitions become
// chains of helper rules, so the matcher only ever sees character sets and rule references.
#include <algorithm>
#include <functional>
#include <map>

#include "core/error.h"
#include "core/utf8.h"
#include "sampling/grammar.h"

namespace hearth::sampling {

namespace {
constexpr uint32_t kMaxRepeat = 10000;  // beyond this the expansion would be absurdly large
}

class GrammarBuilder {
 public:
  explicit GrammarBuilder(std::string_view text) : s_(text) {}

  std::shared_ptr<const Grammar> build() {
    space(true);
    while (i_ < s_.size()) {
      rule_definition();
      space(true);
    }
    auto root = ids_.find("root");
    if (root == ids_.end() || !defined_[root->second]) fail_at(s_.size(), "no rule named root");
    for (size_t r = 0; r < names_.size(); ++r)
      if (!defined_[r]) fail_at(first_use_[r], "rule '" + names_[r] + "' is used but never defined");
    check_left_recursion();
    return flatten(root->second);
  }

 private:
  using Elem = Grammar::Elem;
  using Seq = std::vector<Elem>;

  [[noreturn]] void fail_at(size_t at, const std::string& what) const {
    size_t line = 1, col = 1;
    for (size_t k = 0; k < at && k < s_.size(); ++k) {
      if (s_[k] == '\n') { ++line; col = 1; }
      else if ((static_cast<unsigned char>(s_[k]) & 0xC0) != 0x80) ++col;
    }
    fail(Errc::invalid_argument, "grammar: line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + what);
  }
  [[noreturn]] void fail_here(const std::string& what) const { fail_at(i_, what); }

  bool eof() const { return i_ >= s_.size(); }
  char peek(size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
  static bool word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  }

  // Spaces, tabs and comments; newlines too when `newlines` (inside groups, after `|`).
  void space(bool newlines) {
    while (!eof()) {
      char c = peek();
      if (c == ' ' || c == '\t') ++i_;
      else if (c == '#') { while (!eof() && peek() != '\n' && peek() != '\r') ++i_; }
      else if (newlines && (c == '\n' || c == '\r')) ++i_;
      else break;
    }
  }

  std::string name() {
    size_t start = i_;
    while (!eof() && word_char(peek())) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }

  uint32_t rule_id(const std::string& n, size_t at) {
    auto [it, inserted] = ids_.emplace(n, static_cast<uint32_t>(names_.size()));
    if (inserted) {
      names_.push_back(n);
      alts_.emplace_back();
      defined_.push_back(false);
      first_use_.push_back(at);
    }
    return it->second;
  }
  uint32_t helper_rule(const std::string& base) {
    std::string n;
    do n = base + "_" + std::to_string(++helpers_); while (ids_.count(n));
    uint32_t id = rule_id(n, i_);
    defined_[id] = true;
    return id;
  }

  void rule_definition() {
    const size_t at = i_;
    std::string n = name();
    if (n.empty()) fail_here(eof() ? "expected a rule name" : std::string("expected a rule name, found '") + peek() + "'");
    space(false);
    if (s_.substr(i_, 3) != "::=") fail_here("expected ::= after rule name '" + n + "'");
    i_ += 3;
    space(true);
    const uint32_t id = rule_id(n, at);
    alts_[id].clear();  // a later definition replaces an earlier one, as in llama.cpp
    defined_[id] = true;
    alternatives(id, n, false);
    if (!eof()) {
      if (peek() == '\r') { ++i_; if (peek() == '\n') ++i_; }
      else if (peek() == '\n') ++i_;
      else fail_here(std::string("unexpected '") + peek() + "' in rule '" + n + "'");
    }
  }

  void alternatives(uint32_t id, const std::string& rule_name, bool nested) {
    // (sequence() may add rules, moving alts_: take the sequence before indexing.)
    Seq first = sequence(rule_name, nested);
    alts_[id].push_back(std::move(first));
    while (peek() == '|') {
      ++i_;
      space(true);
      Seq next = sequence(rule_name, nested);
      alts_[id].push_back(std::move(next));
    }
  }

  uint32_t hex(int digits) {
    uint32_t v = 0;
    for (int k = 0; k < digits; ++k) {
      char c = peek();
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) fail_here("expected " + std::to_string(digits) + " hex digits in escape");
      v = v * 16 + static_cast<uint32_t>(d);
      ++i_;
    }
    return v;
  }

  // One character of a literal or class: an escape or a UTF-8 character.
  uint32_t character() {
    if (peek() == '\\') {
      ++i_;
      const char e = peek();
      ++i_;
      switch (e) {
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case '\\': case '"': case '[': case ']': return static_cast<unsigned char>(e);
        case 'x': return hex(2);
        case 'u': return hex(4);
        case 'U': return hex(8);
        default:
          --i_;
          fail_here(e ? std::string("unknown escape \\") + e : std::string("escape at end of grammar"));
      }
    }
    uint32_t cp = 0;
    int n = utf8::decode_strict(s_, i_, &cp);
    if (n <= 0) fail_here("invalid UTF-8");
    i_ += static_cast<size_t>(n);
    return cp;
  }

  Elem chars(CharSet set) {
    sets_.push_back(std::move(set));
    return {Grammar::Kind::chars, static_cast<uint32_t>(sets_.size() - 1)};
  }

  uint32_t bound() {
    size_t start = i_;
    uint64_t v = 0;
    while (!eof() && peek() >= '0' && peek() <= '9') {
      v = v * 10 + static_cast<uint64_t>(peek() - '0');
      if (v > kMaxRepeat) fail_at(start, "repetition bound larger than " + std::to_string(kMaxRepeat));
      ++i_;
    }
    if (i_ == start) fail_here("expected a number in {}");
    return static_cast<uint32_t>(v);
  }

  // x{min,max} (max = UINT32_MAX: unbounded), replacing seq[from..] which holds x.
  void repeat(Seq& seq, size_t from, uint32_t min, uint32_t max, const std::string& rule_name) {
    Elem x;
    if (seq.size() - from == 1) {
      x = seq.back();
    } else {  // a multi-character literal repeats as a whole
      uint32_t sub = helper_rule(rule_name);
      alts_[sub].push_back(Seq(seq.begin() + static_cast<long>(from), seq.end()));
      x = {Grammar::Kind::ref, sub};
    }
    seq.resize(from);
    for (uint32_t k = 0; k < min; ++k) seq.push_back(x);
    if (max == UINT32_MAX) {  // R ::= x R | (empty)
      uint32_t r = helper_rule(rule_name);
      alts_[r].push_back({x, {Grammar::Kind::ref, r}});
      alts_[r].push_back({});
      seq.push_back({Grammar::Kind::ref, r});
    } else if (max > min) {  // R1 ::= x | (empty);  Rk ::= x R(k-1) | (empty)
      uint32_t prev = UINT32_MAX;
      for (uint32_t k = 0; k < max - min; ++k) {
        uint32_t r = helper_rule(rule_name);
        Seq first{x};
        if (prev != UINT32_MAX) first.push_back({Grammar::Kind::ref, prev});
        alts_[r].push_back(std::move(first));
        alts_[r].push_back({});
        prev = r;
      }
      seq.push_back({Grammar::Kind::ref, prev});
    }
  }

  Seq sequence(const std::string& rule_name, bool nested) {
    Seq seq;
    size_t last = SIZE_MAX;  // where the most recent item starts in seq (repetitions apply to it)
    while (!eof()) {
      const char c = peek();
      const size_t at = i_;
      if (c == '"') {
        ++i_;
        last = seq.size();
        while (peek() != '"') {
          if (eof()) fail_at(at, "unterminated string literal");
          uint32_t cp = character();
          seq.push_back(chars({false, {{cp, cp}}}));
        }
        ++i_;
      } else if (c == '[') {
        ++i_;
        CharSet set;
        if (peek() == '^') { set.negated = true; ++i_; }
        while (peek() != ']') {
          if (eof()) fail_at(at, "unterminated character class");
          uint32_t lo = character(), hi = lo;
          if (peek() == '-' && peek(1) != ']' && i_ + 1 < s_.size()) {
            ++i_;
            hi = character();
            if (hi < lo) fail_at(at, "character range is backwards");
          }
          set.ranges.emplace_back(lo, hi);
        }
        ++i_;
        last = seq.size();
        seq.push_back(chars(std::move(set)));
      } else if (word_char(c)) {
        std::string n = name();
        last = seq.size();
        seq.push_back({Grammar::Kind::ref, rule_id(n, at)});
      } else if (c == '(') {
        ++i_;
        space(true);
        uint32_t sub = helper_rule(rule_name);
        alternatives(sub, rule_name, true);
        if (peek() != ')') fail_at(at, "unclosed (");
        ++i_;
        last = seq.size();
        seq.push_back({Grammar::Kind::ref, sub});
      } else if (c == '.') {
        ++i_;
        last = seq.size();
        seq.push_back(chars({true, {}}));
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (last == SIZE_MAX || last >= seq.size()) fail_here(std::string("nothing to repeat before '") + c + "'");
        ++i_;
        uint32_t min = 0, max = UINT32_MAX;
        if (c == '+') min = 1;
        else if (c == '?') max = 1;
        else if (c == '{') {
          space(nested);
          min = max = bound();
          space(nested);
          if (peek() == ',') {
            ++i_;
            space(nested);
            max = (peek() >= '0' && peek() <= '9') ? bound() : UINT32_MAX;
            space(nested);
          }
          if (peek() != '}') fail_here("expected } to close the repetition");
          ++i_;
          if (max < min) fail_at(at, "repetition maximum is below its minimum");
        }
        repeat(seq, last, min, max, rule_name);
        last = SIZE_MAX;  // x** is not allowed
      } else {
        break;
      }
      space(nested);
    }
    return seq;
  }

  void check_left_recursion() {
    const size_t n = alts_.size();
    std::vector<bool> nullable(n, false);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < n; ++r) {
        if (nullable[r]) continue;
        for (const auto& alt : alts_[r]) {
          bool all = std::all_of(alt.begin(), alt.end(),
                                 [&](const Elem& e) { return e.kind == Grammar::Kind::ref && nullable[e.value]; });
          if (all) { nullable[r] = changed = true; break; }
        }
      }
    }
    // Edges r -> s when s can be the first thing r matches; a cycle is left recursion, which a
    // top-down matcher would expand forever.
    std::vector<std::vector<uint32_t>> first(n);
    for (size_t r = 0; r < n; ++r)
      for (const auto& alt : alts_[r])
        for (const auto& e : alt) {
          if (e.kind != Grammar::Kind::ref) break;
          first[r].push_back(e.value);
          if (!nullable[e.value]) break;
        }
    std::vector<uint8_t> state(n, 0);  // 0 new, 1 on the path, 2 done
    std::function<void(uint32_t)> visit = [&](uint32_t r) {
      state[r] = 1;
      for (uint32_t s : first[r]) {
        if (state[s] == 1) fail_at(first_use_[s], "left recursion in rule '" + user_name(s) + "'");
        if (state[s] == 0) visit(s);
      }
      state[r] = 2;
    };
    for (uint32_t r = 0; r < n; ++r)
      if (state[r] == 0) visit(r);
  }

  // Helper rules are named after the rule they came from: report that one.
  std::string user_name(uint32_t r) const {
    std::string n = names_[r];
    auto us = n.find('_');
    return us == std::string::npos ? n : n.substr(0, us);
  }

  std::shared_ptr<const Grammar> flatten(uint32_t root) {
    auto g = std::make_shared<Grammar>();
    g->sets_ = std::move(sets_);
    g->names_ = names_;
    g->root_ = root;
    g->rules_.resize(alts_.size());
    for (size_t r = 0; r < alts_.size(); ++r)
      for (const auto& alt : alts_[r]) {
        g->rules_[r].push_back(static_cast<uint32_t>(g->elems_.size()));
        g->elems_.insert(g->elems_.end(), alt.begin(), alt.end());
        g->elems_.push_back({Grammar::Kind::end, 0});
      }
    return g;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  std::vector<std::vector<Seq>> alts_;
  std::vector<bool> defined_;
  std::vector<size_t> first_use_;
  std::vector<CharSet> sets_;
  uint32_t helpers_ = 0;
};

std::shared_ptr<const Grammar> Grammar::parse(std::string_view text) { return GrammarBuilder(text).build(); }

}  // namespace hearth::sampling
