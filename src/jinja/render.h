// Walks the statement tree and produces output (internal to the jinja component).
#pragma once
#include <chrono>
#include <functional>
#include <string>

#include "jinja/ast.h"
#include "jinja/template.h"

namespace hearth::jinja {

std::string render_body(const Body& body, const Value& context, const Options& opt,
                        const std::function<std::chrono::system_clock::time_point()>& now);

}  // namespace hearth::jinja
