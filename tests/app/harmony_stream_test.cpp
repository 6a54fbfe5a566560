// A harmony reply (gpt-oss) split into events as it streams, fed in pieces of every size: the
// analysis channel comes out as reasoning, the final channel as text, a function call as one
// canonical call for the tool-call parser, and no structure token ever reaches the client.
#include <gtest/gtest.h>

#include "app/harmony_stream.h"
#include "app/local_tools.h"

namespace hearth::app {
namespace {

using router::StreamEvent;

struct Collected {
  std::string reasoning, text;
  std::vector<StreamEvent> calls;
  size_t text_events = 0;
};

Collected run(const std::string& reply, size_t piece, bool calls, bool with_parser) {
  Collected c;
  router::StreamSink sink = [&](const StreamEvent& e) {
    if (e.kind == StreamEvent::Kind::reasoning) c.reasoning += e.text;
    if (e.kind == StreamEvent::Kind::text) c.text += e.text, ++c.text_events;
    if (e.kind == StreamEvent::Kind::tool_call) c.calls.push_back(e);
    return true;
  };
  std::vector<engine::ToolSpec> tools = {
      {"get_time", "", ordered_json::parse(R"({"type":"object","properties":{"utc":{"type":"boolean"}}})")}};
  std::optional<ToolCallStream> parser;
  router::StreamSink out = sink;
  if (with_parser) {
    parser.emplace(engine::ToolSyntax::harmony, tools, sink);
    out = [&](const StreamEvent& e) { return (*parser)(e); };
  }
  HarmonyStream h(calls, out);
  for (size_t i = 0; i < reply.size(); i += piece) {
    StreamEvent e;
    e.text = reply.substr(i, piece);
    EXPECT_TRUE(h(e));
  }
  StreamEvent f;
  f.kind = StreamEvent::Kind::finish;
  EXPECT_TRUE(h(f));
  return c;
}

TEST(HarmonyStream, ReasoningThenAnswerInAnyPieces) {
  const std::string reply =
      "<|channel|>analysis<|message|>User says hi; answer <b>briefly</b>.<|end|><|start|>assistant<|channel|>final<|message|>"
      "Hello! 1 < 2.";
  for (size_t piece : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    SCOPED_TRACE(piece);
    const auto c = run(reply, piece, false, false);
    EXPECT_EQ(c.reasoning, "User says hi; answer <b>briefly</b>.");
    EXPECT_EQ(c.text, "Hello! 1 < 2.");
  }
  // Streaming, not buffering: with small pieces the answer arrives in several events.
  EXPECT_GT(run(reply, 2, false, false).text_events, 3u);
}

TEST(HarmonyStream, ACallReachesTheToolParserAsOneCall) {
  const std::string reply =
      "<|channel|>analysis<|message|>Need the time.<|end|><|start|>assistant<|channel|>commentary<|message|>Checking."
      "<|end|><|start|>assistant to=functions.get_time<|channel|>commentary json<|message|>{\"utc\": true}";
  for (size_t piece : {1u, 5u, 1000u}) {
    SCOPED_TRACE(piece);
    const auto c = run(reply, piece, true, true);
    EXPECT_EQ(c.reasoning, "Need the time.");
    EXPECT_EQ(c.text, "Checking.");
    ASSERT_EQ(c.calls.size(), 1u);
    EXPECT_EQ(c.calls[0].name, "get_time");
    EXPECT_EQ(c.calls[0].arguments, R"({"utc":true})");
  }
  // Without tools in the request, a message to a function is just its text.
  const auto c = run(reply, 4, false, false);
  EXPECT_EQ(c.text, "Checking.\n{\"utc\": true}");
}

TEST(HarmonyStream, AReplyCutOffInsideAHeaderEndsBeforeIt) {
  for (size_t piece : {1u, 3u, 100u}) {
    SCOPED_TRACE(piece);
    auto c = run("<|channel|>analysis<|message|>plan<|end|><|start|>assista", piece, false, false);
    EXPECT_EQ(c.reasoning, "plan");
    EXPECT_EQ(c.text, "");
    c = run("<|channel|>final<|message|>the answer<|e", piece, false, false);
    EXPECT_EQ(c.text, "the answer");
  }
}

TEST(HarmonyStream, TextOutsideTheFormatPassesThrough) {
  for (size_t piece : {1u, 4u, 100u}) {
    const auto c = run("no channels here, <just> text", piece, false, false);
    EXPECT_EQ(c.text, "no channels here, <just> text");
    EXPECT_EQ(c.reasoning, "");
  }
}

// Replies made of random pieces of the format (and stray bytes): whatever the model writes,
// streaming it token by token gives what reading it whole gives, and the parser never fails.
TEST(HarmonyStream, StreamingAgreesWithReadingWholeOnRandomReplies) {
  const char* parts[] = {"<|channel|>", "<|message|>", "<|start|>", "<|end|>", "<|constrain|>", "analysis", "final",
                         "commentary", " to=functions.get_time", " json", "assistant", "{\"utc\": true}", "hi", "<", "|",
                         " ", "\n", "to=", "<|"};
  uint64_t state = 42;
  for (int round = 0; round < 10000; ++round) {
    std::string reply;
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const int n = static_cast<int>((state >> 33) % 12);
    for (int i = 0; i < n; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      reply += parts[(state >> 33) % std::size(parts)];
    }
    SCOPED_TRACE(reply);
    for (bool calls : {false, true}) {
      const auto whole = run(reply, reply.size() + 1, calls, calls);
      const auto tokens = run(reply, 1, calls, calls);
      EXPECT_EQ(tokens.reasoning, whole.reasoning);
      EXPECT_EQ(tokens.text, whole.text);
      EXPECT_EQ(tokens.calls.size(), whole.calls.size());
    }
  }
}

}  // namespace
}  // namespace hearth::app
