// Streaming replies for the gateway. The routed stream runs on its own thread and the HTTP
// response starts only once the first event arrives, so failures before any output (unknown
// model, a full queue, an upstream 429) still get a real HTTP status; later failures are framed
// in-stream by the dialect.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "router/types.h"

namespace httplib {
struct Response;
}

namespace hearth::router {

// One dialect's bytes for events, the successful end and an in-stream error.
class StreamFramer {
 public:
  virtual ~StreamFramer() = default;
  virtual void event(const StreamEvent& e, std::string& out) = 0;
  virtual void end(const RouteInfo& info, std::string& out) = 0;
  virtual void error(const ProviderError& e, std::string& out) = 0;
};

using StreamProducer = std::function<RouteInfo(const StreamSink&)>;
using StreamFinished = std::function<void(const ChatResponse&)>;  // the whole reply, on success

// Starts `produce` and waits for its first event. An exception thrown before that is rethrown
// here (the caller answers with a status); otherwise `res` becomes a chunked stream of
// `content_type`. `finished` runs on the producer thread after a successful stream.
void start_stream(httplib::Response& res, const char* content_type, std::shared_ptr<StreamFramer> framer,
                  StreamProducer produce, StreamFinished finished);

}  // namespace hearth::router
