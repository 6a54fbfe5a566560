// Each provider against a fake upstream that speaks its real wire format.
#include <gtest/gtest.h>

#include <cstdlib>

#include "router/provider.h"
#include "scripts.h"

using namespace hearth;
using namespace hearth::router;
using hearth::test::FakeUpstream;
using hearth::test::oa_chunk;
using hearth::test::sse_data;

namespace {

ProviderConfig pc(const std::string& type, const std::string& url) {
  ProviderConfig c;
  c.name = type + "-fake";
  c.type = type;
  c.base_url = url;
  c.api_key = "sk-test-secret";
  c.http.read_timeout_ms = 2000;
  return c;
}

ChatRequest tool_request() {
  ChatRequest r;
  r.model = "up-model";
  r.messages.push_back({Role::system, "sys"});
  r.messages.push_back({Role::user, "hi"});
  r.tools.push_back({"lookup", "look up", json{{"type", "object"}}});
  r.max_tokens = 50;
  return r;
}

ChatResponse collect(Provider& p, const ChatRequest& r, std::vector<StreamEvent::Kind>* kinds = nullptr) {
  Accumulator acc;
  p.chat_stream(r, [&](const StreamEvent& e) {
    if (kinds) kinds->push_back(e.kind);
    acc.add(e);
    return true;
  });
  return acc.take();
}

}  // namespace

TEST(RouterProviders, OpenAIStreamJoinsToolCallFragmentsAcrossChunks) {
  FakeUpstream up;
  std::string auth;
  up.server().Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    up.record(req);
    auth = req.get_header_value("Authorization");
    std::string all = sse_data(oa_chunk({{"role", "assistant"}, {"content", nullptr}})) +
                      sse_data(oa_chunk({{"reasoning_content", "think"}})) +
                      sse_data(oa_chunk({{"tool_calls", json::array({{{"index", 0}, {"id", "call_a"}, {"type", "function"}, {"function", {{"name", "lookup"}, {"arguments", ""}}}}})}})) +
                      sse_data(oa_chunk({{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", "{\"q\":"}}}}})}})) +
                      sse_data(oa_chunk({{"tool_calls", json::array({{{"index", 0}, {"function", {{"arguments", "\"x\"}"}}}}})}})) +
                      sse_data(oa_chunk(json::object(), "tool_calls")) +
                      sse_data({{"choices", json::array()}, {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 9}}}}) + "data: [DONE]\n\n";
    // Deliberately awkward chunking: 7-byte pieces cut through lines and CRLFs.
    std::vector<std::string> pieces;
    for (size_t i = 0; i < all.size(); i += 7) pieces.push_back(all.substr(i, 7));
    FakeUpstream::stream(res, "text/event-stream", pieces);
  });
  auto p = make_provider(pc("openai", up.url("/v1")));
  std::vector<StreamEvent::Kind> kinds;
  auto r = collect(*p, tool_request(), &kinds);
  EXPECT_EQ(auth, "Bearer sk-test-secret");
  auto sent = json::parse(up.last_body());
  EXPECT_EQ(sent["model"], "up-model");
  EXPECT_EQ(sent["messages"][0]["role"], "system");
  EXPECT_EQ(sent["tools"][0]["function"]["name"], "lookup");
  EXPECT_TRUE(sent["stream"].get<bool>());
  ASSERT_EQ(r.message.tool_calls.size(), 1u);
  EXPECT_EQ(r.message.tool_calls[0].id, "call_a");
  EXPECT_EQ(r.message.tool_calls[0].arguments, "{\"q\":\"x\"}");
  EXPECT_EQ(r.message.reasoning, "think");
  EXPECT_EQ(r.stop, StopReason::tool_calls);
  EXPECT_EQ(r.usage.input_tokens, 12);
  EXPECT_EQ(r.usage.output_tokens, 9);
  EXPECT_EQ(kinds.front(), StreamEvent::Kind::start);
  EXPECT_EQ(kinds.back(), StreamEvent::Kind::finish);  // usage precedes finish even though it arrived after
}

TEST(RouterProviders, OpenAINonStreamAndErrorsMapped) {
  FakeUpstream up;
  up.server().Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    int n = ++up.hits;
    if (n == 1) return test::openai_error(res, 429, "Rate limit reached", "3");
    if (n == 2) return test::openai_error(res, 400, "This model's maximum context length is 4096 tokens");
    if (n == 3) return test::openai_error(res, 401, "Incorrect API key");
    test::openai_reply(req, res, "hello there");
  });
  auto p = make_provider(pc("openai", up.url("/v1")));
  try {
    p->chat(tool_request());
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::rate_limit);
    EXPECT_DOUBLE_EQ(e.retry_after(), 3);
    EXPECT_NE(std::string(e.what()).find("Rate limit reached"), std::string::npos);
  }
  try { p->chat(tool_request()); FAIL(); } catch (const ProviderError& e) { EXPECT_EQ(e.kind(), ErrorKind::context_length); }
  try { p->chat(tool_request()); FAIL(); } catch (const ProviderError& e) { EXPECT_EQ(e.kind(), ErrorKind::auth); }
  auto r = p->chat(tool_request());
  EXPECT_EQ(r.message.content, "hello there");
  EXPECT_EQ(r.usage.output_tokens, 4);
}

TEST(RouterProviders, AnthropicStreamFromRealEventSequence) {
  FakeUpstream up;
  std::string key, version;
  up.server().Post("/v1/messages", [&](const httplib::Request& req, httplib::Response& res) {
    up.record(req);
    key = req.get_header_value("x-api-key");
    version = req.get_header_value("anthropic-version");
    auto ev = [](const char* name, const json& d) { return std::string("event: ") + name + "\ndata: " + d.dump() + "\n\n"; };
    std::vector<std::string> f = {
        ev("message_start", {{"type", "message_start"}, {"message", {{"id", "msg_1"}, {"type", "message"}, {"role", "assistant"}, {"model", "claude-x"}, {"content", json::array()}, {"usage", {{"input_tokens", 25}, {"output_tokens", 1}}}}}}),
        ev("content_block_start", {{"type", "content_block_start"}, {"index", 0}, {"content_block", {{"type", "thinking"}, {"thinking", ""}}}}),
        ev("content_block_delta", {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "thinking_delta"}, {"thinking", "let me see"}}}}),
        ev("content_block_delta", {{"type", "content_block_delta"}, {"index", 0}, {"delta", {{"type", "signature_delta"}, {"signature", "abc"}}}}),
        ev("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}),
        ev("ping", {{"type", "ping"}}),
        ev("content_block_start", {{"type", "content_block_start"}, {"index", 1}, {"content_block", {{"type", "text"}, {"text", ""}}}}),
        ev("content_block_delta", {{"type", "content_block_delta"}, {"index", 1}, {"delta", {{"type", "text_delta"}, {"text", "Checking."}}}}),
        ev("content_block_stop", {{"type", "content_block_stop"}, {"index", 1}}),
        ev("content_block_start", {{"type", "content_block_start"}, {"index", 2}, {"content_block", {{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "lookup"}, {"input", json::object()}}}}),
        ev("content_block_delta", {{"type", "content_block_delta"}, {"index", 2}, {"delta", {{"type", "input_json_delta"}, {"partial_json", "{\"q\": "}}}}),
        ev("content_block_delta", {{"type", "content_block_delta"}, {"index", 2}, {"delta", {{"type", "input_json_delta"}, {"partial_json", "\"y\"}"}}}}),
        ev("content_block_stop", {{"type", "content_block_stop"}, {"index", 2}}),
        ev("message_delta", {{"type", "message_delta"}, {"delta", {{"stop_reason", "tool_use"}, {"stop_sequence", nullptr}}}, {"usage", {{"output_tokens", 42}}}}),
        ev("message_stop", {{"type", "message_stop"}})};
    FakeUpstream::stream(res, "text/event-stream", f);
  });
  auto p = make_provider(pc("anthropic", up.url()));
  auto r = collect(*p, tool_request());
  EXPECT_EQ(key, "sk-test-secret");
  EXPECT_EQ(version, "2023-06-01");
  auto sent = json::parse(up.last_body());
  EXPECT_EQ(sent["system"], "sys");
  EXPECT_EQ(sent["max_tokens"], 50);
  EXPECT_EQ(sent["tools"][0]["input_schema"]["type"], "object");
  EXPECT_EQ(r.message.reasoning, "let me see");
  EXPECT_EQ(r.message.content, "Checking.");
  ASSERT_EQ(r.message.tool_calls.size(), 1u);
  EXPECT_EQ(r.message.tool_calls[0].id, "toolu_1");
  EXPECT_EQ(json::parse(r.message.tool_calls[0].arguments)["q"], "y");
  EXPECT_EQ(r.stop, StopReason::tool_calls);
  EXPECT_EQ(r.usage.input_tokens, 25);
  EXPECT_EQ(r.usage.output_tokens, 42);
}

TEST(RouterProviders, AnthropicNonStreamAndOverloaded) {
  FakeUpstream up;
  up.server().Post("/v1/messages", [&](const httplib::Request&, httplib::Response& res) {
    if (++up.hits == 1) {
      res.status = 529;
      res.set_content(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})", "application/json");
      return;
    }
    res.set_content(R"({"id":"msg_2","type":"message","role":"assistant","model":"c","content":[{"type":"text","text":"Hi!"}],"stop_reason":"max_tokens","usage":{"input_tokens":3,"output_tokens":2}})",
                    "application/json");
  });
  auto p = make_provider(pc("anthropic", up.url()));
  try { p->chat(tool_request()); FAIL(); } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::overloaded);
    EXPECT_NE(std::string(e.what()).find("Overloaded"), std::string::npos);
  }
  auto r = p->chat(tool_request());
  EXPECT_EQ(r.message.content, "Hi!");
  EXPECT_EQ(r.stop, StopReason::length);
}

TEST(RouterProviders, GeminiStreamAndTranslation) {
  FakeUpstream up;
  std::string path, key;
  up.server().Post(R"(/v1beta/models/(.+))", [&](const httplib::Request& req, httplib::Response& res) {
    up.record(req);
    path = req.path + (req.has_param("alt") ? "?alt=" + req.get_param_value("alt") : "");
    key = req.get_header_value("x-goog-api-key");
    std::vector<std::string> f = {
        sse_data({{"candidates", json::array({{{"content", {{"role", "model"}, {"parts", json::array({{{"text", "pondering"}, {"thought", true}}, {{"text", "Hel"}}})}}}}})}}),
        sse_data({{"candidates", json::array({{{"content", {{"role", "model"}, {"parts", json::array({{{"text", "lo"}}, {{"functionCall", {{"name", "lookup"}, {"args", {{"q", "z"}}}}}}})}}}, {"finishReason", "STOP"}}})},
                  {"usageMetadata", {{"promptTokenCount", 8}, {"candidatesTokenCount", 5}}}})};
    FakeUpstream::stream(res, "text/event-stream", f);
  });
  auto p = make_provider(pc("gemini", up.url()));
  auto req = tool_request();
  Message a{Role::assistant};
  a.tool_calls.push_back({"c1", "lookup", "{\"q\":\"a\"}"});
  req.messages.push_back(a);
  Message t{Role::tool, "{\"answer\":1}"};
  t.tool_call_id = "c1";
  req.messages.push_back(t);
  auto r = collect(*p, req);
  EXPECT_EQ(path, "/v1beta/models/up-model:streamGenerateContent?alt=sse");
  EXPECT_EQ(key, "sk-test-secret");
  auto sent = json::parse(up.last_body());
  EXPECT_EQ(sent["systemInstruction"]["parts"][0]["text"], "sys");
  EXPECT_EQ(sent["contents"][1]["role"], "model");
  EXPECT_EQ(sent["contents"][1]["parts"][0]["functionCall"]["args"]["q"], "a");
  EXPECT_EQ(sent["contents"][2]["parts"][0]["functionResponse"]["name"], "lookup");  // name recovered from the call id
  EXPECT_EQ(sent["generationConfig"]["maxOutputTokens"], 50);
  EXPECT_EQ(sent["tools"][0]["functionDeclarations"][0]["name"], "lookup");
  EXPECT_EQ(r.message.content, "Hello");
  EXPECT_EQ(r.message.reasoning, "pondering");
  ASSERT_EQ(r.message.tool_calls.size(), 1u);
  EXPECT_EQ(json::parse(r.message.tool_calls[0].arguments)["q"], "z");
  EXPECT_EQ(r.stop, StopReason::tool_calls);
  EXPECT_EQ(r.usage.input_tokens, 8);
}

TEST(RouterProviders, OllamaNdjsonStream) {
  FakeUpstream up;
  up.server().Post("/api/chat", [&](const httplib::Request& req, httplib::Response& res) {
    up.record(req);
    std::string all =
        "{\"model\":\"llama\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi \"},\"done\":false}\n"
        "{\"model\":\"llama\",\"message\":{\"role\":\"assistant\",\"content\":\"there\"},\"done\":false}\n"
        "{\"model\":\"llama\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"length\",\"prompt_eval_count\":6,\"eval_count\":2}\n";
    std::vector<std::string> pieces;
    for (size_t i = 0; i < all.size(); i += 5) pieces.push_back(all.substr(i, 5));
    FakeUpstream::stream(res, "application/x-ndjson", pieces);
  });
  auto p = make_provider(pc("ollama", up.url()));
  auto r = collect(*p, tool_request());
  auto sent = json::parse(up.last_body());
  EXPECT_EQ(sent["options"]["num_predict"], 50);
  EXPECT_EQ(r.message.content, "Hi there");
  EXPECT_EQ(r.stop, StopReason::length);
  EXPECT_EQ(r.usage.output_tokens, 2);
}

TEST(RouterProviders, DroppedStreamIsANetworkError) {
  FakeUpstream up;
  up.server().Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    test::openai_reply(req, res, "abcdefghij", 3);
  });
  auto p = make_provider(pc("openai", up.url("/v1")));
  std::string got;
  try {
    p->chat_stream(tool_request(), [&](const StreamEvent& e) {
      got += e.text;
      return true;
    });
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::network);
  }
  EXPECT_EQ(got, "abcdef");
}

TEST(RouterProviders, UnknownTypeAndBadUrlAreClearErrors) {
  EXPECT_THROW(make_provider(pc("nope", "http://x")), ProviderError);
  EXPECT_THROW(make_provider(pc("openai", "ftp://x")), ProviderError);
}
