// The JSON answer every route sends: status plus body as application/json. Two names, because a
// braced body would be ambiguous between the two JSON types: send_ordered keeps keys in the
// order written (the memory and eval APIs document their bodies that way).
#pragma once
#include <httplib.h>

#include "core/json.h"

namespace hearth::server {

inline void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

inline void send_ordered(httplib::Response& res, int status, const ordered_json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

}  // namespace hearth::server
