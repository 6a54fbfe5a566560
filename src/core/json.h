// JSON is nlohmann::json everywhere; this header is the one place that names it.
#pragma once
#include <nlohmann/json.hpp>

namespace hearth {
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
}  // namespace hearth
