#include <gtest/gtest.h>

#include "router/sse.h"
#include "router/types.h"

using namespace hearth::router;

namespace {

std::vector<SseEvent> parse_split(const std::string& text, size_t split) {
  std::vector<SseEvent> out;
  SseParser p([&](const SseEvent& e) { out.push_back(e); });
  p.feed(std::string_view(text).substr(0, split));
  p.feed(std::string_view(text).substr(split));
  p.finish();
  return out;
}

}  // namespace

TEST(RouterSse, SameEventsWhereverTheChunkBoundaryFalls) {
  std::string text = "event: message_start\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\n\ndata: line1\ndata: line2\n\nevent: ping\ndata:{}\n\n";
  for (size_t split = 0; split <= text.size(); ++split) {
    auto ev = parse_split(text, split);
    ASSERT_EQ(ev.size(), 3u) << "split at " << split;
    EXPECT_EQ(ev[0].event, "message_start");
    EXPECT_EQ(ev[0].data, "{\"a\":1}");
    EXPECT_EQ(ev[1].event, "");
    EXPECT_EQ(ev[1].data, "line1\nline2");
    EXPECT_EQ(ev[2].event, "ping");
    EXPECT_EQ(ev[2].data, "{}");
  }
}

TEST(RouterSse, ByteAtATimeAndMissingFinalBlankLine) {
  std::string text = "data: [DONE]";
  std::vector<SseEvent> out;
  SseParser p([&](const SseEvent& e) { out.push_back(e); });
  for (char c : text) p.feed(std::string_view(&c, 1));
  EXPECT_TRUE(out.empty());
  p.finish();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "[DONE]");
}

TEST(RouterSse, OverlongLineIsAnErrorNotAnAllocation) {
  SseParser p([](const SseEvent&) {}, 64);
  EXPECT_THROW(p.feed(std::string(100, 'x')), ProviderError);
}

TEST(RouterNdjson, LinesSplitAnywhere) {
  std::string text = "{\"a\":1}\r\n{\"b\":2}\n\n{\"c\":3}";
  for (size_t split = 0; split <= text.size(); ++split) {
    std::vector<std::string> lines;
    LineParser p([&](std::string_view l) { lines.emplace_back(l); });
    p.feed(std::string_view(text).substr(0, split));
    p.feed(std::string_view(text).substr(split));
    p.finish();
    ASSERT_EQ(lines.size(), 3u) << split;
    EXPECT_EQ(lines[0], "{\"a\":1}");
    EXPECT_EQ(lines[2], "{\"c\":3}");
  }
}
