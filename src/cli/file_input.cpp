#include "cli/file_input.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "core/error.h"

namespace hearth::cli {

std::string read_input_file(const std::string& path, const std::string& what) {
  if (path == "-") return std::string((std::istreambuf_iterator<char>(std::cin)), {});
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Errc::not_found, what + ": cannot read " + path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace hearth::cli
