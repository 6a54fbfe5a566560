// Recursive-descent parser from tokens to the statement tree (Jinja2 grammar and precedence).
#pragma once
#include <vector>

#include "jinja/ast.h"
#include "jinja/lexer.h"

namespace hearth::jinja {

Body parse_tokens(const std::vector<Token>& toks, const Options& opt);

}  // namespace hearth::jinja
