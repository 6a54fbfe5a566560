#include "core/error.h"

namespace hearth {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::io: return "io";
    case Errc::format: return "format";
    case Errc::unsupported: return "unsupported";
    case Errc::out_of_range: return "out_of_range";
    case Errc::network: return "network";
    case Errc::auth: return "auth";
    case Errc::rate_limited: return "rate_limited";
    case Errc::overloaded: return "overloaded";
    case Errc::cancelled: return "cancelled";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

void fail(Errc code, const std::string& message) { throw Error(code, message); }

}  // namespace hearth
