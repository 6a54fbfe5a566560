#include "jinja/lexer.h"

#include <cctype>

#include "core/utf8.h"

namespace hearth::jinja {

void syntax_error(int line, int col, const std::string& msg) {
  throw TemplateError(TemplateError::Kind::syntax,
                      "template syntax error at line " + std::to_string(line) + ", column " +
                          std::to_string(col) + ": " + msg);
}

namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Lexer {
 public:
  Lexer(std::string_view src, const Options& opt) : s_(src), opt_(opt) {}

  std::vector<Token> run() {
    bool strip_next = false;  // previous tag ended with '-'
    while (pos_ < s_.size()) {
      size_t open = find_tag(pos_);
      std::string text(s_.substr(pos_, open - pos_));
      size_t text_start = pos_;
      if (strip_next) {
        size_t i = 0;
        while (i < text.size() && is_ws(text[i])) ++i;
        text.erase(0, i);
        text_start += i;
      }
      strip_next = false;
      if (open == s_.size()) {
        emit_text(std::move(text), text_start);
        advance_to(open);
        break;
      }
      char kind = s_[open + 1];  // '{', '%' or '#'
      char mod = open + 2 < s_.size() ? s_[open + 2] : '\0';
      if (mod == '-') {
        while (!text.empty() && is_ws(text.back())) text.pop_back();
      } else if (mod != '+' && kind != '{' && opt_.lstrip_blocks) {
        lstrip_line(text, text_start);
      }
      emit_text(std::move(text), text_start);
      advance_to(open);
      size_t body = open + 2 + ((mod == '-' || mod == '+') ? 1 : 0);
      if (kind == '#') {
        size_t end = s_.find("#}", body);
        if (end == std::string_view::npos) syntax_error(line_, col_, "unclosed comment");
        bool minus = end > body && s_[end - 1] == '-';
        bool plus = end > body && s_[end - 1] == '+';
        advance_to(end + 2);
        if (minus) strip_next = true;
        else if (!plus && opt_.trim_blocks) skip_newline();
        continue;
      }
      int tl = line_, tc = col_;
      toks_.push_back({kind == '{' ? Token::T::VarBegin : Token::T::BlockBegin, "", tl, tc});
      advance_to(body);
      strip_next = lex_tag(kind == '{');
      if (kind == '%' && is_raw_start()) lex_raw(strip_next), strip_next = raw_strip_;
    }
    toks_.push_back({Token::T::Eof, "", line_, col_});
    return std::move(toks_);
  }

 private:
  size_t find_tag(size_t from) const {
    while (true) {
      size_t p = s_.find('{', from);
      if (p == std::string_view::npos || p + 1 >= s_.size()) return s_.size();
      char c = s_[p + 1];
      if (c == '{' || c == '%' || c == '#') return p;
      from = p + 1;
    }
  }

  // lstrip_blocks: drop spaces/tabs between the start of the line and a block tag.
  void lstrip_line(std::string& text, size_t text_start) {
    size_t nl = text.rfind('\n');
    size_t from = nl == std::string::npos ? 0 : nl + 1;
    if (nl == std::string::npos && !(text_start == 0 || s_[text_start - 1] == '\n')) return;
    for (size_t i = from; i < text.size(); ++i)
      if (text[i] != ' ' && text[i] != '\t') return;
    text.erase(from);
  }

  void emit_text(std::string text, size_t at) {
    if (text.empty()) return;
    // Line/column of the text are not needed for errors; keep the tag positions exact instead.
    toks_.push_back({Token::T::Text, std::move(text), line_, col_});
    (void)at;
  }

  void advance_to(size_t p) {
    while (pos_ < p) {
      if (s_[pos_] == '\n') ++line_, col_ = 1;
      else ++col_;
      ++pos_;
    }
  }

  void skip_newline() {
    if (pos_ < s_.size() && s_[pos_] == '\n') advance_to(pos_ + 1);
    else if (pos_ + 1 < s_.size() && s_[pos_] == '\r' && s_[pos_ + 1] == '\n') advance_to(pos_ + 2);
  }

  // Tokens up to the closing `}}` / `%}`; returns whether it was `-}}` / `-%}`.
  bool lex_tag(bool var) {
    std::vector<char> stack;
    const char close = var ? '}' : '%';
    while (true) {
      while (pos_ < s_.size() && is_ws(s_[pos_])) advance_to(pos_ + 1);
      if (pos_ >= s_.size()) syntax_error(line_, col_, var ? "unclosed '{{'" : "unclosed '{%'");
      if (stack.empty()) {
        auto at = [&](std::string_view t) { return s_.substr(pos_, t.size()) == t; };
        std::string end2 = std::string(1, close) + "}";
        bool minus = at("-" + end2), plus = at("+" + end2);
        if (minus || plus || at(end2)) {
          int l = line_, c = col_;
          advance_to(pos_ + (minus || plus ? 3 : 2));
          toks_.push_back({var ? Token::T::VarEnd : Token::T::BlockEnd, "", l, c});
          if (!var && !minus && !plus && opt_.trim_blocks) skip_newline();
          return minus;
        }
      }
      int l = line_, c = col_;
      char ch = s_[pos_];
      if (std::isalpha(static_cast<unsigned char>(ch)) || ch == '_') {
        size_t e = pos_;
        while (e < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
        toks_.push_back({Token::T::Name, std::string(s_.substr(pos_, e - pos_)), l, c});
        advance_to(e);
      } else if (std::isdigit(static_cast<unsigned char>(ch))) {
        lex_number(l, c);
      } else if (ch == '\'' || ch == '"') {
        lex_string(l, c);
      } else {
        static const char* ops[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<",
                                    ">",  "=",  "(",  ")",  "[",  "]",  "{", "}", ",", ".", ":", "|", ";"};
        std::string op;
        for (const char* o : ops)
          if (s_.substr(pos_, std::char_traits<char>::length(o)) == o) {
            op = o;
            break;
          }
        if (op.empty()) syntax_error(l, c, std::string("unexpected character '") + ch + "'");
        if (op == "(" || op == "[" || op == "{") stack.push_back(op[0]);
        if (op == ")" || op == "]" || op == "}") {
          char want = op == ")" ? '(' : op == "]" ? '[' : '{';
          if (stack.empty() || stack.back() != want) syntax_error(l, c, "unexpected '" + op + "'");
          stack.pop_back();
        }
        toks_.push_back({Token::T::Op, op, l, c});
        advance_to(pos_ + op.size());
      }
    }
  }

  void lex_number(int l, int c) {
    size_t e = pos_;
    auto digits = [&] {
      while (e < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) ++e;
    };
    digits();
    bool is_float = false;
    // "1.5" is a float but "x.0.name" style item access keeps ints; require a digit after '.'.
    if (e + 1 < s_.size() && s_[e] == '.' && std::isdigit(static_cast<unsigned char>(s_[e + 1])) &&
        !(toks_.size() && toks_.back().t == Token::T::Op && toks_.back().v == ".")) {
      ++e;
      digits();
      is_float = true;
    }
    if (e < s_.size() && (s_[e] == 'e' || s_[e] == 'E')) {
      size_t f = e + 1;
      if (f < s_.size() && (s_[f] == '+' || s_[f] == '-')) ++f;
      if (f < s_.size() && std::isdigit(static_cast<unsigned char>(s_[f]))) {
        e = f;
        digits();
        is_float = true;
      }
    }
    std::string num;
    for (size_t i = pos_; i < e; ++i)
      if (s_[i] != '_') num += s_[i];
    toks_.push_back({is_float ? Token::T::Float : Token::T::Int, num, l, c});
    advance_to(e);
  }

  void lex_string(int l, int c) {
    char q = s_[pos_];
    size_t i = pos_ + 1;
    std::string out;
    while (true) {
      if (i >= s_.size()) syntax_error(l, c, "unterminated string");
      char ch = s_[i];
      if (ch == q) break;
      if (ch != '\\') {
        out += ch;
        ++i;
        continue;
      }
      if (i + 1 >= s_.size()) syntax_error(l, c, "unterminated string");
      char e = s_[i + 1];
      i += 2;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '0': out += '\0'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '\n': break;
        case 'x':
        case 'u':
        case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + n > s_.size()) syntax_error(l, c, "truncated \\" + std::string(1, e) + " escape");
          uint32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            char h = s_[i + k];
            if (!std::isxdigit(static_cast<unsigned char>(h))) syntax_error(l, c, "bad \\" + std::string(1, e) + " escape");
            cp = cp * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          if (cp > 0x10FFFF) syntax_error(l, c, "escape outside the Unicode range");
          utf8::append(out, cp);
          i += n;
          break;
        }
        default:
          out += '\\';
          out += e;
      }
    }
    toks_.push_back({Token::T::String, std::move(out), l, c});
    advance_to(i + 1);
  }

  // `{% raw %}`: the tokens so far end with BlockBegin Name(raw) BlockEnd.
  bool is_raw_start() const {
    size_t n = toks_.size();
    return n >= 3 && toks_[n - 1].t == Token::T::BlockEnd && toks_[n - 2].t == Token::T::Name &&
           toks_[n - 2].v == "raw" && toks_[n - 3].t == Token::T::BlockBegin;
  }

  void lex_raw(bool strip_start) {
    int l = toks_[toks_.size() - 3].line, c = toks_[toks_.size() - 3].col;
    toks_.resize(toks_.size() - 3);
    size_t search = pos_;
    while (true) {
      size_t p = s_.find("{%", search);
      if (p == std::string_view::npos) syntax_error(l, c, "missing endraw for raw block");
      size_t q = p + 2;
      bool minus = q < s_.size() && s_[q] == '-';
      if (q < s_.size() && (s_[q] == '-' || s_[q] == '+')) ++q;
      while (q < s_.size() && is_ws(s_[q])) ++q;
      if (s_.substr(q, 6) != "endraw") {
        search = p + 2;
        continue;
      }
      q += 6;
      while (q < s_.size() && is_ws(s_[q])) ++q;
      bool end_minus = q < s_.size() && s_[q] == '-';
      if (q < s_.size() && (s_[q] == '-' || s_[q] == '+')) ++q;
      if (s_.substr(q, 2) != "%}") {
        search = p + 2;
        continue;
      }
      std::string text(s_.substr(pos_, p - pos_));
      if (strip_start) {
        size_t i = 0;
        while (i < text.size() && is_ws(text[i])) ++i;
        text.erase(0, i);
      }
      if (minus) {
        while (!text.empty() && is_ws(text.back())) text.pop_back();
      } else if (opt_.lstrip_blocks && s_[p + 2] != '+') {
        lstrip_line(text, pos_);
      }
      emit_text(std::move(text), pos_);
      advance_to(q + 2);
      raw_strip_ = end_minus;
      if (!end_minus && opt_.trim_blocks) skip_newline();
      return;
    }
  }

  std::string_view s_;
  const Options& opt_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
  bool raw_strip_ = false;
  std::vector<Token> toks_;
};

}  // namespace

std::vector<Token> lex(std::string_view src, const Options& opt) {
  // Like Jinja2 (keep_trailing_newline=False): one newline at the very end is dropped.
  if (opt.keep_trailing_newline) return Lexer(src, opt).run();
  if (src.size() >= 2 && src.substr(src.size() - 2) == "\r\n") src.remove_suffix(2);
  else if (!src.empty() && (src.back() == '\n' || src.back() == '\r')) src.remove_suffix(1);
  return Lexer(src, opt).run();
}

}  // namespace hearth::jinja
