// A Jinja2-compatible template engine, configured by default the way Hugging Face transformers
// renders chat templates (trim_blocks, lstrip_blocks, loop controls, immutable sandbox).
//
//   auto t = jinja::Template::parse(src);            // throws TemplateError on syntax errors
//   std::string out = t.render(jinja::Value::dict({{"name", "x"}}));
//
// Templates are untrusted input: rendering is bounded in output size, loop iterations and
// recursion depth, and every failure is a TemplateError rather than a crash.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "jinja/value.h"

namespace hearth::jinja {

class TemplateError : public Error {
 public:
  enum class Kind { syntax, runtime, raised, limit };
  TemplateError(Kind kind, const std::string& message)
      : Error(kind == Kind::limit ? Errc::out_of_range : Errc::format, message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct Options {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  // Jinja2's keep_trailing_newline: false drops one newline at the very end of the source.
  bool keep_trailing_newline = false;
  // Jinja2's StrictUndefined: printing, testing the truth of, iterating or reading a member of an
  // undefined name is an error naming it; `is defined` and the `default` filter still work.
  bool strict_undefined = false;
  size_t max_output_bytes = 64u << 20;
  uint64_t max_steps = 50'000'000;  // loop iterations + macro calls + filter applications
  int max_depth = 200;               // nested macro calls / recursive loops
  size_t max_template_bytes = 8u << 20;
  int max_nesting = 200;             // parser nesting of blocks and expressions
};

struct Stmt;

class Template {
 public:
  static Template parse(std::string_view source, Options options = {});
  // `context` must be a dict (or Undefined for no variables). Globals not present in it:
  // range, dict, namespace, cycler, joiner, raise_exception; strftime_now uses `now` below.
  std::string render(const Value& context) const;

  // Clock used by strftime_now; defaults to the system clock (local time of UTC).
  std::function<std::chrono::system_clock::time_point()> now;

 private:
  std::shared_ptr<const std::vector<std::shared_ptr<Stmt>>> body_;
  Options options_;
};

}  // namespace hearth::jinja
