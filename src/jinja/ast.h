// Syntax tree produced by the parser and walked by the renderer.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jinja/value.h"

namespace hearth::jinja {

struct Expr;
using ExprPtr = std::shared_ptr<Expr>;

struct Expr {
  enum class K {
    Literal, Name, List, Tuple, Dict, Attr, Item, Slice, Call, Filter, Test,
    Neg, Pos, Not, Binary, Compare, And, Or, Cond
  };
  K k;
  int line = 0, col = 0;
  Value literal;
  std::string name;                // Name, Attr, Filter/Test name, Binary operator
  std::vector<ExprPtr> kids;       // operands; Slice keeps nullptr for omitted parts
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;    // Compare operators between kids
};

struct Stmt;
using StmtPtr = std::shared_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class K { Text, Output, If, For, Set, SetBlock, Macro, CallBlock, FilterBlock, Break, Continue, With };
  K k;
  int line = 0, col = 0;
  std::string text;                  // Text; Set/SetBlock/Macro name; For: unused
  ExprPtr expr;                      // Output, For iterable, Set value, CallBlock call, FilterBlock filter
  ExprPtr cond;                      // For filter
  std::vector<std::string> targets;  // For/Set targets (tuple unpacking); Set ns attr: {ns, attr}
  bool attr_target = false;          // Set ns.attr = ...
  bool recursive = false;
  std::vector<ExprPtr> conds;        // If/elif conditions, parallel to bodies
  std::vector<Body> bodies;          // If branches; For/Macro/Call/Filter/SetBlock/With use bodies[0]
  Body else_body;
  std::vector<std::pair<std::string, ExprPtr>> params;  // Macro/caller params (default may be null); With assignments
};

}  // namespace hearth::jinja
