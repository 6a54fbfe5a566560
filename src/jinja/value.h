// Runtime values of the Jinja interpreter. They follow Python's data model closely enough that
// templates written for Jinja2 behave the same: Undefined vs None, int vs float, ordered dicts,
// Python-style printing (repr for containers) and truthiness.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"

namespace hearth::jinja {

class Value;
struct CallArgs;
using List = std::vector<Value>;
// Dicts keep insertion order, as Python's do; lookups are linear, which is fine for the small
// mappings templates handle (messages, tool schemas).
using Dict = std::vector<std::pair<Value, Value>>;
using NativeFn = std::function<Value(CallArgs&)>;

struct Function {
  std::string name;
  NativeFn fn;
};

class Value {
 public:
  enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Function };

  Value() = default;  // Undefined
  static Value undefined(std::string hint = {});
  static Value none();
  Value(bool b);
  Value(int v) : Value(static_cast<int64_t>(v)) {}
  Value(int64_t v);
  Value(double v);
  Value(std::string s);
  Value(const char* s) : Value(std::string(s)) {}
  // A string marked safe (Jinja's Markup, from |safe or |escape): adding a plain string to it
  // HTML-escapes the plain one, as MarkupSafe does.
  static Value markup(std::string s);
  bool is_markup() const { return kind_ == Kind::String && tuple_; }
  static Value list(List items = {}, bool tuple = false);
  static Value dict(Dict items = {});
  static Value ns(Dict items = {});
  static Value function(std::string name, NativeFn fn);
  static Value from_json(const ordered_json& j);
  static Value from_json(const json& j);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::Undefined; }
  bool is_none() const { return kind_ == Kind::None; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_tuple() const { return kind_ == Kind::List && tuple_; }
  bool is_dict() const { return kind_ == Kind::Dict; }
  bool is_namespace() const { return kind_ == Kind::Namespace; }
  bool is_mapping() const { return kind_ == Kind::Dict || kind_ == Kind::Namespace; }
  bool is_function() const { return kind_ == Kind::Function; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return i_; }
  double as_float() const { return d_; }
  double to_double() const;  // numeric kinds only
  const std::string& str() const { return *s_; }
  const List& items() const { return *list_; }
  const Dict& entries() const { return *dict_; }
  Dict& mutable_entries() const { return *dict_; }  // namespaces only: they are mutable
  const Function& fn() const { return *fn_; }
  const std::string& undefined_hint() const { static const std::string empty; return s_ ? *s_ : empty; }
  // Container nesting depth (0 for scalars); bounded so that destruction and printing cannot
  // exhaust the stack.
  int depth() const { return depth_; }
  static constexpr int kMaxDepth = 256;

  // Python truthiness.
  bool truthy() const;
  // str(x) as Jinja prints it: None, True, 1.0, ['a'], {'k': 1}; Undefined prints empty.
  std::string to_string() const;
  // repr(x): strings quoted Python-style.
  std::string repr() const;
  // Python ==.
  bool equals(const Value& o) const;
  // Mapping lookup by key; nullptr when absent.
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  // Python type name for messages ("str", "int", "dict", ...).
  std::string type_name() const;
  // JSON for the engine; throws for values JSON cannot hold.
  ordered_json to_json() const;

 private:
  Kind kind_ = Kind::Undefined;
  bool b_ = false;
  bool tuple_ = false;
  int depth_ = 0;
  int64_t i_ = 0;
  double d_ = 0;
  std::shared_ptr<const std::string> s_;
  std::shared_ptr<const List> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<const Function> fn_;
};

struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
  // Positional argument `i` or keyword `name`; nullptr when neither was passed.
  const Value* get(size_t i, std::string_view name) const;
  Value get_or(size_t i, std::string_view name, Value fallback) const;
};

// Python float repr: shortest round-trip digits, "1.0", "1e+16", "inf".
std::string format_float(double d);
// Python repr of a str.
std::string repr_string(std::string_view s);

}  // namespace hearth::jinja
