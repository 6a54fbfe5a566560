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

std::string read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(Errc::not_found, "--api-key-file: cannot read " + path);
  std::string key;
  std::getline(in, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
  if (key.empty()) fail(Errc::invalid_argument, "--api-key-file: " + path + " is empty");
  return key;
}

}  // namespace hearth::cli
