// Internal interface between the renderer and the built-in filters, tests and methods.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "jinja/template.h"
#include "jinja/value.h"

namespace hearth::jinja {

[[noreturn]] void runtime_error(const std::string& msg);

// Hooks the built-ins need from the renderer (calling user macros / applying filters by name).
class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual Value call(const Value& callee, CallArgs& args) = 0;
  virtual Value filter(const std::string& name, const Value& v, CallArgs& args) = 0;
  virtual bool test(const std::string& name, const Value& v, CallArgs& args) = 0;
  virtual void step() = 0;  // counts work against Options::max_steps
};

// Filters and tests by name; `found` is false when no such built-in exists.
Value builtin_filter(Runtime& rt, const std::string& name, const Value& v, CallArgs& args, bool& found);
bool builtin_test(Runtime& rt, const std::string& name, const Value& v, CallArgs& args, bool& found);

// obj.name: dict keys, namespace attributes, bound methods of str/dict/list.
Value get_attr(const Value& obj, const std::string& name);
// obj[key]: list/str index, dict key; Undefined when absent.
Value get_item(const Value& obj, const Value& key);
Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step);

// Python helpers.
std::vector<uint32_t> code_points(std::string_view s);
// True when every byte is below 0x80 (then bytes and code points coincide).
inline bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}
std::string from_code_points(const std::vector<uint32_t>& cps, size_t begin, size_t end);
size_t py_len(const Value& v);  // throws for values without a length
std::vector<Value> iterate(const Value& v);  // list items, dict keys, str characters
int compare(const Value& a, const Value& b);  // <0, 0, >0; throws for unorderable types
std::string py_strip(std::string_view s, const Value& chars, bool left, bool right);

struct JsonStyle {
  bool ensure_ascii = false;
  std::string indent;  // empty: single line
  bool has_indent = false;
  std::string item_sep = ", ", key_sep = ": ";
  bool sort_keys = false;
};
std::string to_json(const Value& v, const JsonStyle& style);
std::string html_escape(std::string_view s);

}  // namespace hearth::jinja
