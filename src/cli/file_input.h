// Reading a file named on the command line ("-" is stdin), with an error that names the flag.
#pragma once
#include <string>

namespace hearth::cli {

// The whole file as bytes. Throws Error(not_found) "WHAT: cannot read PATH".
std::string read_input_file(const std::string& path, const std::string& what);

}  // namespace hearth::cli
