#include "memory/http_json.h"

#include <httplib.h>

#include "core/error.h"

namespace hearth::memory {

json post_json(const std::string& base_url, const std::string& path, const json& body, const std::string& api_key) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  // Accept a base that already ends in /v1 as many tools print it that way.
  std::string p = path;
  if (base.size() >= 3 && base.compare(base.size() - 3, 3, "/v1") == 0 && p.rfind("/v1/", 0) == 0) p = p.substr(3);
  std::string prefix;
  auto scheme_end = base.find("://");
  auto path_start = scheme_end == std::string::npos ? std::string::npos : base.find('/', scheme_end + 3);
  if (path_start != std::string::npos) {
    prefix = base.substr(path_start);
    base = base.substr(0, path_start);
  }
  httplib::Client cli(base);
  cli.set_connection_timeout(10);
  cli.set_read_timeout(300);
  httplib::Headers headers;
  if (!api_key.empty()) headers.emplace("Authorization", "Bearer " + api_key);
  auto res = cli.Post((prefix + p).c_str(), headers, body.dump(), "application/json");
  if (!res) fail(Errc::network, "cannot reach " + base_url + ": " + httplib::to_string(res.error()));
  if (res->status == 401 || res->status == 403) fail(Errc::auth, base_url + p + " refused the credentials");
  if (res->status == 429) fail(Errc::rate_limited, base_url + p + " asked to slow down (429)");
  if (res->status / 100 != 2)
    fail(Errc::network, base_url + p + " answered HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200));
  try {
    return json::parse(res->body);
  } catch (const json::exception& e) {
    fail(Errc::format, base_url + p + " answered invalid JSON: " + e.what());
  }
}

}  // namespace hearth::memory
