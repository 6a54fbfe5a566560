// Sizes on the command line: "8G", "512M", "1.5GB", "4096" (binary units).
#pragma once
#include <cstdint>
#include <string>

namespace hearth::cli {

// Bytes; Error(invalid_argument) naming `flag` for text that is not a positive size.
uint64_t parse_size(const std::string& text, const char* flag);

}  // namespace hearth::cli
