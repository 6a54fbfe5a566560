// Splits template source into text and tag tokens, applying Jinja's whitespace control
// (`{%-`, `-%}`, `{%+`, `+%}`) and the trim_blocks / lstrip_blocks options.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "jinja/template.h"

namespace hearth::jinja {

struct Token {
  enum class T { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, Eof };
  T t;
  std::string v;
  int line = 1, col = 1;
};

std::vector<Token> lex(std::string_view src, const Options& opt);

[[noreturn]] void syntax_error(int line, int col, const std::string& msg);

}  // namespace hearth::jinja
