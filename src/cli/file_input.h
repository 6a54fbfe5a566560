// Reading a file named on the command line ("-" is stdin), with an error that names the flag.
#pragma once
#include <string>

namespace hearth::cli {

// The whole file as bytes. Throws Error(not_found) "WHAT: cannot read PATH".
std::string read_input_file(const std::string& path, const std::string& what);

// An API key from the first line of a file (--api-key-file), trailing blanks removed. Throws
// Error(not_found) when unreadable, Error(invalid_argument) when empty.
std::string read_key_file(const std::string& path);

}  // namespace hearth::cli
