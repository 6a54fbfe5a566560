#include "jinja/parser.h"

#include <charconv>
#include <cstdlib>

namespace hearth::jinja {
namespace {

using T = Token::T;

class Parser {
 public:
  Parser(const std::vector<Token>& toks, const Options& opt) : t_(toks), opt_(opt) {}

  Body parse_all() {
    Body body = parse_body({});
    if (cur().t != T::Eof) error("unexpected '" + cur().v + "'");
    return body;
  }

 private:
  const Token& cur() const { return t_[p_]; }
  const Token& peek(size_t n = 1) const { return t_[std::min(p_ + n, t_.size() - 1)]; }
  [[noreturn]] void error(const std::string& msg) const { syntax_error(cur().line, cur().col, msg); }
  bool is_op(const char* op) const { return cur().t == T::Op && cur().v == op; }
  bool is_name(const char* n) const { return cur().t == T::Name && cur().v == n; }
  bool accept_op(const char* op) {
    if (!is_op(op)) return false;
    ++p_;
    return true;
  }
  bool accept_name(const char* n) {
    if (!is_name(n)) return false;
    ++p_;
    return true;
  }
  void expect_op(const char* op) {
    if (!accept_op(op)) error(std::string("expected '") + op + "'" + found());
  }
  std::string found() const {
    switch (cur().t) {
      case T::BlockEnd: return ", found end of tag";
      case T::VarEnd: return ", found end of print statement";
      case T::Eof: return ", found end of template";
      default: return ", found '" + cur().v + "'";
    }
  }
  std::string expect_name() {
    if (cur().t != T::Name) error("expected a name" + found());
    return t_[p_++].v;
  }
  void expect_block_end() {
    if (cur().t != T::BlockEnd) error("expected end of tag" + found());
    ++p_;
  }

  struct Depth {
    Depth(Parser& p) : p(p) {
      if (++p.depth_ > p.opt_.max_nesting) p.error("template nesting too deep");
    }
    ~Depth() { --p.depth_; }
    Parser& p;
  };

  // Parses statements until a block tag whose keyword is in `ends` (left unconsumed, positioned
  // at the keyword) or end of input.
  Body parse_body(const std::vector<std::string>& ends) {
    Depth d(*this);
    Body body;
    while (true) {
      const Token& tk = cur();
      if (tk.t == T::Eof) {
        if (!ends.empty()) {
          std::string want;
          for (const auto& e : ends) want += (want.empty() ? "'" : " or '") + e + "'";
          error("unexpected end of template, expected " + want);
        }
        return body;
      }
      if (tk.t == T::Text) {
        auto s = std::make_shared<Stmt>();
        s->k = Stmt::K::Text;
        s->text = tk.v;
        body.push_back(s);
        ++p_;
      } else if (tk.t == T::VarBegin) {
        ++p_;
        auto s = mk(Stmt::K::Output);
        s->expr = parse_tuple_expr();
        if (cur().t != T::VarEnd) error("expected end of print statement" + found());
        ++p_;
        body.push_back(s);
      } else if (tk.t == T::BlockBegin) {
        const Token& kw = peek();
        if (kw.t != T::Name) {
          ++p_;
          error("expected a statement name" + found());
        }
        for (const auto& e : ends)
          if (kw.v == e) {
            ++p_;
            return body;
          }
        ++p_;
        body.push_back(parse_statement());
      } else {
        error("unexpected token '" + tk.v + "'");
      }
    }
  }

  StmtPtr mk(Stmt::K k) {
    auto s = std::make_shared<Stmt>();
    s->k = k;
    s->line = cur().line;
    s->col = cur().col;
    return s;
  }

  void end_tag(const char* name) {
    // positioned at the end keyword
    if (!accept_name(name)) error(std::string("expected '") + name + "'");
    expect_block_end();
  }

  StmtPtr parse_statement() {
    std::string kw = cur().v;
    if (kw == "if") return parse_if();
    if (kw == "for") return parse_for();
    if (kw == "set") return parse_set();
    if (kw == "macro") return parse_macro();
    if (kw == "call") return parse_call_block();
    if (kw == "filter") return parse_filter_block();
    if (kw == "with") return parse_with();
    if (kw == "break" || kw == "continue") {
      auto s = mk(kw == "break" ? Stmt::K::Break : Stmt::K::Continue);
      ++p_;
      if (loop_depth_ == 0) error("'" + kw + "' outside of a loop");
      expect_block_end();
      return s;
    }
    error("unknown tag '" + kw + "'");
  }

  StmtPtr parse_if() {
    auto s = mk(Stmt::K::If);
    ++p_;
    while (true) {
      s->conds.push_back(parse_tuple_expr());
      expect_block_end();
      s->bodies.push_back(parse_body({"elif", "else", "endif"}));
      if (accept_name("elif")) continue;
      if (accept_name("else")) {
        expect_block_end();
        s->else_body = parse_body({"endif"});
        end_tag("endif");
      } else {
        end_tag("endif");
      }
      return s;
    }
  }

  std::vector<std::string> parse_targets() {
    std::vector<std::string> names;
    bool paren = accept_op("(");
    names.push_back(expect_name());
    while (accept_op(",")) {
      if (cur().t != T::Name) break;
      names.push_back(expect_name());
    }
    if (paren) expect_op(")");
    return names;
  }

  StmtPtr parse_for() {
    auto s = mk(Stmt::K::For);
    ++p_;
    s->targets = parse_targets();
    if (!accept_name("in")) error("expected 'in'" + found());
    s->expr = parse_tuple_expr(/*no_cond=*/true);
    if (accept_name("if")) s->cond = parse_expr();
    if (accept_name("recursive")) s->recursive = true;
    expect_block_end();
    ++loop_depth_;
    s->bodies.push_back(parse_body({"else", "endfor"}));
    --loop_depth_;
    if (accept_name("else")) {
      expect_block_end();
      s->else_body = parse_body({"endfor"});
    }
    end_tag("endfor");
    return s;
  }

  StmtPtr parse_set() {
    auto s = mk(Stmt::K::Set);
    ++p_;
    std::string first = expect_name();
    if (accept_op(".")) {
      s->attr_target = true;
      s->targets = {first, expect_name()};
    } else {
      s->targets = {first};
      while (accept_op(",")) s->targets.push_back(expect_name());
    }
    if (accept_op("=")) {
      s->expr = parse_tuple_expr();
      expect_block_end();
      return s;
    }
    if (s->attr_target || s->targets.size() != 1) error("expected '='" + found());
    s->k = Stmt::K::SetBlock;
    if (is_op("|")) s->expr = parse_filter_chain(nullptr);
    expect_block_end();
    s->bodies.push_back(parse_body({"endset"}));
    end_tag("endset");
    return s;
  }

  void parse_params(Stmt& s) {
    expect_op("(");
    while (!is_op(")")) {
      if (!s.params.empty()) expect_op(",");
      if (is_op(")")) break;
      std::string name = expect_name();
      ExprPtr def;
      if (accept_op("=")) def = parse_expr();
      s.params.emplace_back(name, def);
    }
    expect_op(")");
  }

  StmtPtr parse_macro() {
    auto s = mk(Stmt::K::Macro);
    ++p_;
    s->text = expect_name();
    parse_params(*s);
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->bodies.push_back(parse_body({"endmacro"}));
    loop_depth_ = saved;
    if (!accept_name("endmacro")) error("expected 'endmacro'");
    if (cur().t == T::Name) ++p_;  // optional macro name after endmacro
    expect_block_end();
    return s;
  }

  StmtPtr parse_call_block() {
    auto s = mk(Stmt::K::CallBlock);
    ++p_;
    if (is_op("(")) parse_params(*s);
    s->expr = parse_expr();
    if (s->expr->k != Expr::K::Call) error("expected a call after 'call'");
    expect_block_end();
    s->bodies.push_back(parse_body({"endcall"}));
    end_tag("endcall");
    return s;
  }

  StmtPtr parse_filter_block() {
    auto s = mk(Stmt::K::FilterBlock);
    ++p_;
    s->expr = parse_filter_chain(nullptr, /*leading_pipe=*/false);
    expect_block_end();
    s->bodies.push_back(parse_body({"endfilter"}));
    end_tag("endfilter");
    return s;
  }

  StmtPtr parse_with() {
    auto s = mk(Stmt::K::With);
    ++p_;
    while (cur().t != T::BlockEnd) {
      if (!s->params.empty()) expect_op(",");
      std::string name = expect_name();
      expect_op("=");
      s->params.emplace_back(name, parse_expr());
    }
    expect_block_end();
    s->bodies.push_back(parse_body({"endwith"}));
    end_tag("endwith");
    return s;
  }

  // ---- expressions -------------------------------------------------------------------------
  ExprPtr node(Expr::K k, const Token& at) {
    auto e = std::make_shared<Expr>();
    e->k = k;
    e->line = at.line;
    e->col = at.col;
    return e;
  }

  // An expression, or an implicit tuple `a, b`.
  ExprPtr parse_tuple_expr(bool no_cond = false) {
    const Token& start = cur();
    ExprPtr first = no_cond ? parse_or() : parse_expr();
    if (!is_op(",")) return first;
    auto t = node(Expr::K::Tuple, start);
    t->kids.push_back(first);
    while (accept_op(",")) {
      if (cur().t == T::BlockEnd || cur().t == T::VarEnd || is_name("if")) break;
      t->kids.push_back(no_cond ? parse_or() : parse_expr());
    }
    return t;
  }

  ExprPtr parse_expr() {
    Depth d(*this);
    const Token& start = cur();
    ExprPtr e = parse_or();
    while (accept_name("if")) {
      auto c = node(Expr::K::Cond, start);
      c->kids.push_back(parse_or());
      c->kids.push_back(e);
      c->kids.push_back(accept_name("else") ? parse_expr() : nullptr);
      e = c;
    }
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (is_name("or")) {
      auto n = node(Expr::K::Or, cur());
      ++p_;
      n->kids = {e, parse_and()};
      e = n;
    }
    return e;
  }
  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (is_name("and")) {
      auto n = node(Expr::K::And, cur());
      ++p_;
      n->kids = {e, parse_not()};
      e = n;
    }
    return e;
  }
  ExprPtr parse_not() {
    if (is_name("not")) {
      Depth d(*this);
      auto n = node(Expr::K::Not, cur());
      ++p_;
      n->kids = {parse_not()};
      return n;
    }
    return parse_compare();
  }
  ExprPtr parse_compare() {
    const Token& start = cur();
    ExprPtr e = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().t == T::Op && (cur().v == "==" || cur().v == "!=" || cur().v == "<" || cur().v == ">" ||
                               cur().v == "<=" || cur().v == ">=")) {
        op = cur().v;
        ++p_;
      } else if (is_name("in")) {
        op = "in";
        ++p_;
      } else if (is_name("not") && peek().t == T::Name && peek().v == "in") {
        op = "notin";
        p_ += 2;
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(Expr::K::Compare, start);
        cmp->kids.push_back(e);
      }
      cmp->ops.push_back(op);
      cmp->kids.push_back(parse_math1());
    }
    return cmp ? cmp : e;
  }
  ExprPtr binary(const std::string& op, ExprPtr a, ExprPtr b, const Token& at) {
    auto n = node(Expr::K::Binary, at);
    n->name = op;
    n->kids = {std::move(a), std::move(b)};
    return n;
  }
  // Jinja: '~' binds looser than + and -.
  ExprPtr parse_math1() {
    ExprPtr e = parse_plus();
    while (is_op("~")) {
      const Token& at = cur();
      ++p_;
      e = binary("~", e, parse_plus(), at);
    }
    return e;
  }
  ExprPtr parse_plus() {
    ExprPtr e = parse_mul();
    while (is_op("+") || is_op("-")) {
      const Token& at = cur();
      std::string op = cur().v;
      ++p_;
      e = binary(op, e, parse_mul(), at);
    }
    return e;
  }
  ExprPtr parse_mul() {
    ExprPtr e = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& at = cur();
      std::string op = cur().v;
      ++p_;
      e = binary(op, e, parse_pow(), at);
    }
    return e;
  }
  ExprPtr parse_pow() {
    ExprPtr e = parse_unary(true);
    while (is_op("**")) {
      const Token& at = cur();
      ++p_;
      e = binary("**", e, parse_unary(true), at);
    }
    return e;
  }
  ExprPtr parse_unary(bool with_filter) {
    Depth d(*this);
    const Token& at = cur();
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      bool neg = is_op("-");
      ++p_;
      e = node(neg ? Expr::K::Neg : Expr::K::Pos, at);
      e->kids = {parse_unary(false)};
    } else {
      e = parse_primary();
    }
    e = parse_postfix(e);
    if (with_filter) e = parse_filter_tests(e);
    return e;
  }

  ExprPtr parse_primary() {
    const Token& tk = cur();
    switch (tk.t) {
      case T::Name: {
        ++p_;
        const std::string& n = tk.v;
        auto lit = [&](Value v) {
          auto e = node(Expr::K::Literal, tk);
          e->literal = std::move(v);
          return e;
        };
        if (n == "true" || n == "True") return lit(Value(true));
        if (n == "false" || n == "False") return lit(Value(false));
        if (n == "none" || n == "None") return lit(Value::none());
        auto e = node(Expr::K::Name, tk);
        e->name = n;
        return e;
      }
      case T::String: {
        std::string s;
        while (cur().t == T::String) s += t_[p_++].v;
        auto e = node(Expr::K::Literal, tk);
        e->literal = Value(std::move(s));
        return e;
      }
      case T::Int: {
        ++p_;
        int64_t v = 0;
        auto r = std::from_chars(tk.v.data(), tk.v.data() + tk.v.size(), v);
        auto e = node(Expr::K::Literal, tk);
        if (r.ec != std::errc()) e->literal = Value(std::strtod(tk.v.c_str(), nullptr));
        else e->literal = Value(v);
        return e;
      }
      case T::Float: {
        ++p_;
        auto e = node(Expr::K::Literal, tk);
        e->literal = Value(std::strtod(tk.v.c_str(), nullptr));
        return e;
      }
      case T::Op:
        if (tk.v == "(") {
          ++p_;
          if (accept_op(")")) return node(Expr::K::Tuple, tk);
          ExprPtr first = parse_expr();
          if (accept_op(")")) return first;
          auto t = node(Expr::K::Tuple, tk);
          t->kids.push_back(first);
          while (accept_op(",")) {
            if (is_op(")")) break;
            t->kids.push_back(parse_expr());
          }
          expect_op(")");
          return t;
        }
        if (tk.v == "[") {
          ++p_;
          auto l = node(Expr::K::List, tk);
          while (!is_op("]")) {
            if (!l->kids.empty()) expect_op(",");
            if (is_op("]")) break;
            l->kids.push_back(parse_expr());
          }
          expect_op("]");
          return l;
        }
        if (tk.v == "{") {
          ++p_;
          auto d = node(Expr::K::Dict, tk);
          while (!is_op("}")) {
            if (!d->kids.empty()) expect_op(",");
            if (is_op("}")) break;
            d->kids.push_back(parse_expr());
            expect_op(":");
            d->kids.push_back(parse_expr());
          }
          expect_op("}");
          return d;
        }
        break;
      default: break;
    }
    error("unexpected " + std::string(tk.t == T::BlockEnd || tk.t == T::VarEnd ? "end of tag" : tk.t == T::Eof ? "end of template" : "'" + tk.v + "'"));
  }

  void parse_call_args(Expr& call) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (cur().t == T::Name && peek().t == T::Op && peek().v == "=") {
        std::string k = t_[p_].v;
        p_ += 2;
        call.kwargs.emplace_back(k, parse_expr());
      } else {
        if (!call.kwargs.empty()) error("positional argument after keyword argument");
        call.kids.push_back(parse_expr());
      }
    }
    expect_op(")");
  }

  ExprPtr parse_postfix(ExprPtr e) {
    while (true) {
      const Token& at = cur();
      if (is_op(".")) {
        ++p_;
        if (cur().t == T::Int) {
          auto n = node(Expr::K::Item, at);
          auto idx = node(Expr::K::Literal, cur());
          idx->literal = Value(static_cast<int64_t>(std::strtoll(cur().v.c_str(), nullptr, 10)));
          ++p_;
          n->kids = {e, idx};
          e = n;
          continue;
        }
        auto n = node(Expr::K::Attr, at);
        n->name = expect_name();
        n->kids = {e};
        e = n;
      } else if (is_op("[")) {
        ++p_;
        e = parse_subscript(e, at);
      } else if (is_op("(")) {
        auto n = node(Expr::K::Call, at);
        n->kids.push_back(e);
        parse_call_args(*n);
        e = n;
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr target, const Token& at) {
    ExprPtr parts[3];
    bool slice = false;
    for (int i = 0; i < 3; ++i) {
      if (!is_op(":") && !is_op("]")) parts[i] = parse_expr();
      if (i < 2 && accept_op(":")) {
        slice = true;
        continue;
      }
      break;
    }
    expect_op("]");
    if (!slice) {
      if (!parts[0]) error("empty subscript");
      auto n = node(Expr::K::Item, at);
      n->kids = {target, parts[0]};
      return n;
    }
    auto n = node(Expr::K::Slice, at);
    n->kids = {target, parts[0], parts[1], parts[2]};
    return n;
  }

  ExprPtr parse_filter_tests(ExprPtr e) {
    while (true) {
      if (is_op("|")) {
        e = parse_filter_chain(e);
      } else if (is_name("is")) {
        const Token& at = cur();
        ++p_;
        auto n = node(Expr::K::Test, at);
        bool negate = accept_name("not");
        n->name = expect_name();
        n->kids.push_back(e);
        if (is_op("(")) {
          parse_call_args(*n);
        } else if ((cur().t == T::Name && cur().v != "else" && cur().v != "or" && cur().v != "and" &&
                    cur().v != "if" && cur().v != "is" && cur().v != "in" && cur().v != "not") ||
                   cur().t == T::String || cur().t == T::Int || cur().t == T::Float || is_op("[") || is_op("{")) {
          n->kids.push_back(parse_postfix(parse_primary()));
        }
        e = n;
        if (negate) {
          auto nn = node(Expr::K::Not, at);
          nn->kids = {e};
          e = nn;
        }
      } else if (is_op("(")) {
        auto n = node(Expr::K::Call, cur());
        n->kids.push_back(e);
        parse_call_args(*n);
        e = n;
      } else {
        return e;
      }
    }
  }

  // `| name(args) | name2 ...`; operand may be null for filter blocks / set blocks.
  ExprPtr parse_filter_chain(ExprPtr e, bool leading_pipe = true) {
    bool first = true;
    while (true) {
      if (!(first && !leading_pipe)) {
        if (!accept_op("|")) return e;
      }
      first = false;
      const Token& at = cur();
      auto n = node(Expr::K::Filter, at);
      n->name = expect_name();
      while (accept_op(".")) n->name += "." + expect_name();
      n->kids.push_back(e);
      if (is_op("(")) parse_call_args(*n);
      e = n;
    }
  }

  const std::vector<Token>& t_;
  const Options& opt_;
  size_t p_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse_tokens(const std::vector<Token>& toks, const Options& opt) { return Parser(toks, opt).parse_all(); }

}  // namespace hearth::jinja
