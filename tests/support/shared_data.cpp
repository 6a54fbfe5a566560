#include "support/shared_data.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace hearth::test {

std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("HEARTH_SHARED"); env && *env) {
    if (std::filesystem::is_directory(env)) return env;
    return {};
  }
#ifdef HEARTH_SOURCE_DIR
  auto p = std::filesystem::path(HEARTH_SOURCE_DIR).parent_path() / "shared";
#else
  auto p = std::filesystem::current_path() / ".." / "shared";
#endif
  if (std::filesystem::is_directory(p)) return std::filesystem::canonical(p);
  return {};
}

std::filesystem::path shared_path(const std::string& relative) {
  auto d = shared_dir();
  if (d.empty()) return {};
  return d / relative;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ScopedEnv::ScopedEnv(const char* name, const std::string& value) : name_(name) {
  if (const char* v = std::getenv(name)) {
    had_ = true;
    old_ = v;
  }
  ::setenv(name, value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (had_) ::setenv(name_.c_str(), old_.c_str(), 1);
  else ::unsetenv(name_.c_str());
}

std::filesystem::path make_temp_dir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

int run_command(const std::string& cmd, std::string* out, std::string* err) {
  std::string full = cmd;
  std::string err_path;
  if (err) {
    err_path = (std::filesystem::temp_directory_path() / ("hearth-err-" + std::to_string(::getpid()) + "-" +
                                                          std::to_string(std::random_device{}())))
                   .string();
    full += " 2>" + err_path;
  } else {
    full += " 2>/dev/null";
  }
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf;
  size_t n;
  std::string captured;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) captured.append(buf.data(), n);
  int status = ::pclose(p);
  if (out) *out = std::move(captured);
  if (err) {
    std::ifstream in(err_path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    *err = ss.str();
    std::filesystem::remove(err_path);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string hearth_bin() {
#ifdef HEARTH_BIN
  return HEARTH_BIN;
#else
  return "hearth";
#endif
}

}  // namespace hearth::test
