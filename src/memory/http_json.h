// Minimal JSON-over-HTTP POST used by the OpenAI-compatible embedding and chat adapters.
#pragma once
#include <string>

#include "core/json.h"

namespace hearth::memory {

// POSTs `body` to base_url + path (base like "http://127.0.0.1:8080"); throws hearth::Error
// (network, auth, rate_limited, format) on failure.
json post_json(const std::string& base_url, const std::string& path, const json& body, const std::string& api_key);

}  // namespace hearth::memory
