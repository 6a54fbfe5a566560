// Ollama's model-store endpoints over hearth's model folder (src/hub), mounted by `hearth serve`:
//   POST   /api/pull   {"model", "stream"?}      NDJSON progress ({"status", "total", "completed"}),
//                                               then {"status": "success"}; one object without stream
//   DELETE /api/delete {"model"}                 200, or 404 naming the model
//   POST   /api/copy   {"source", "destination"} 200, 404 or 400
// Errors are Ollama's {"error": "..."}.
#pragma once
#include <functional>
#include <string>

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace hearth::server {

struct ModelRouteOptions {
  std::function<bool(const httplib::Request&)> authorize;  // refused: 401
  std::function<void(const std::string& name)> removed;     // a deleted model: unload and forget it
  std::string endpoint;                                      // where /api/pull downloads from
};

void mount_model_routes(httplib::Server& server, const ModelRouteOptions& opts);

}  // namespace hearth::server
