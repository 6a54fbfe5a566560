#include "router/sse.h"

#include "router/types.h"

namespace hearth::router {

void SseParser::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      skip_lf_ = (c == '\r');
      line(buf_);
      buf_.clear();
      continue;
    }
    if (buf_.size() >= max_) throw ProviderError(ErrorKind::server, "SSE line exceeds " + std::to_string(max_) + " bytes");
    buf_.push_back(c);
  }
}

void SseParser::finish() {
  if (!buf_.empty()) {
    line(buf_);
    buf_.clear();
  }
  line("");
}

void SseParser::line(std::string_view l) {
  if (l.empty()) {  // blank line dispatches the event
    if (has_data_ || !cur_.event.empty()) on_(cur_);
    cur_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (l[0] == ':') return;  // comment / keep-alive
  auto colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view{} : l.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) cur_.data.push_back('\n');
    cur_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    cur_.event.assign(value);
  }
  // id and retry are not needed for request/response streams.
}

void LineParser::feed(std::string_view bytes) {
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '\n') continue;
    buf_.append(bytes.substr(start, i - start));
    if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
    if (!buf_.empty()) on_(buf_);
    buf_.clear();
    start = i + 1;
  }
  buf_.append(bytes.substr(start));
  if (buf_.size() > max_) throw ProviderError(ErrorKind::server, "stream line exceeds " + std::to_string(max_) + " bytes");
}

void LineParser::finish() {
  if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
  if (!buf_.empty()) on_(buf_);
  buf_.clear();
}

}  // namespace hearth::router
