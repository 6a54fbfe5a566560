// Incremental parsers for streamed bodies: Server-Sent Events and newline-delimited JSON. Bytes
// arrive in arbitrary chunks (a boundary may fall inside a line or a CRLF); both parsers buffer
// only the unfinished line and cap it so a peer cannot make us allocate without bound.
#pragma once
#include <functional>
#include <string>
#include <string_view>

namespace hearth::router {

struct SseEvent {
  std::string event;  // "" when the event had no `event:` field
  std::string data;   // data lines joined with '\n'
};

class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;
  explicit SseParser(Handler on_event, size_t max_line = 8 << 20) : on_(std::move(on_event)), max_(max_line) {}
  // Throws ProviderError(server) when a single line exceeds the cap.
  void feed(std::string_view bytes);
  // End of stream: dispatches a pending event that lacked its blank line.
  void finish();

 private:
  void line(std::string_view l);
  Handler on_;
  size_t max_;
  std::string buf_;
  bool skip_lf_ = false;
  SseEvent cur_;
  bool has_data_ = false;
};

class LineParser {
 public:
  using Handler = std::function<void(std::string_view)>;
  explicit LineParser(Handler on_line, size_t max_line = 8 << 20) : on_(std::move(on_line)), max_(max_line) {}
  void feed(std::string_view bytes);
  void finish();

 private:
  Handler on_;
  size_t max_;
  std::string buf_;
};

}  // namespace hearth::router
