// A task's doc_to_text / doc_to_target / doc_to_choice / description applied to a document, with
// the harness's rules: a value naming a field of the record is that field; a value containing "{{"
// or "{%" is a Jinja template over the record's fields (also reachable as `doc`, for names with
// spaces), rendered as lm-eval does (an undefined variable is an error naming it and the task file;
// trailing newlines are kept; no block trimming); anything else is literal text. A template for
// choices renders a Python list literal. The description is always a template.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/dataset.h"
#include "eval/task.h"
#include "jinja/template.h"

namespace hearth::eval {

struct Target {
  std::optional<int> index;  // set when the target names a choice by position
  std::string text;          // the target text (the choice's text when index is set)
};

class DocRenderer {
 public:
  // Parses the templates once; Error(format) naming the task file on a bad template.
  explicit DocRenderer(const TaskConfig& task);

  std::string text(const Doc& d) const;
  std::vector<std::string> choices(const Doc& d) const;  // empty when the task has none
  Target target(const Doc& d) const;
  std::string description(const Doc& d) const;  // empty when the task has none
  // Renders a hearth template (judge rubrics) over the doc plus `extra`, with the chat-template
  // defaults rather than the harness's.
  static std::string render_with(const std::string& tmpl, const Doc& d, const ordered_json& extra);

 private:
  struct Field {
    enum class Kind { empty, field, tmpl, literal } kind = Kind::empty;
    std::string src;
    std::shared_ptr<jinja::Template> t;
  };
  Field compile(const std::string& s, const char* what) const;
  // Field value as JSON (a field keeps its type; a template renders to a string).
  ordered_json eval(const Field& f, const Doc& d, const char* what) const;
  const TaskConfig& task_;
  Field text_, target_, choice_, description_;
};

// Parses a Python list literal of strings/numbers ("['a', \"b\", 3]"); nullopt when not one.
std::optional<std::vector<std::string>> parse_python_list(const std::string& s);

}  // namespace hearth::eval
