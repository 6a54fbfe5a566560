// The one error type the library throws. Front ends (CLI, server) turn it into a message and an
// exit code or HTTP status; the library itself never exits or aborts.
#pragma once
#include <stdexcept>
#include <string>

namespace hearth {

enum class Errc {
  invalid_argument,  // the caller passed something unusable (bad flag value, bad request field)
  not_found,         // a file, model, record or key that does not exist
  io,                // the OS refused a read/write/mmap
  format,            // malformed input data (GGUF, JSON, template, import file)
  unsupported,       // well-formed but not something hearth implements (architecture, tensor type)
  out_of_range,      // a limit was exceeded (context length, budget)
  network,           // a remote peer could not be reached or broke the connection
  auth,              // credentials missing or refused
  rate_limited,      // a provider asked us to slow down
  overloaded,        // a provider or our own queue is full
  cancelled,         // the caller stopped the operation
  internal,          // a bug: an invariant did not hold
};

const char* errc_name(Errc code);

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const { return code_; }

 private:
  Errc code_;
};

// Builds an Error from a format-free message; kept as a function so call sites stay short.
[[noreturn]] void fail(Errc code, const std::string& message);

}  // namespace hearth
