// Translation both ways between the canonical model and each wire format.
#include <gtest/gtest.h>

#include "router/wire_anthropic.h"
#include "router/wire_ollama.h"
#include "router/wire_openai.h"

using namespace hearth;
using namespace hearth::router;

namespace {

ChatRequest sample_request() {
  ChatRequest r;
  r.model = "m";
  r.messages.push_back({Role::system, "be brief"});
  r.messages.push_back({Role::user, "weather in Paris?"});
  Message a{Role::assistant};
  a.tool_calls.push_back({"call_1", "get_weather", R"({"city":"Paris"})"});
  r.messages.push_back(a);
  Message t{Role::tool, "{\"temp\":21}"};
  t.tool_call_id = "call_1";
  t.name = "get_weather";
  r.messages.push_back(t);
  r.tools.push_back({"get_weather", "Weather for a city", json{{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}});
  r.max_tokens = 100;
  r.temperature = 0.5;
  r.stop = {"END"};
  return r;
}

void expect_same(const ChatRequest& a, const ChatRequest& b) {
  ASSERT_EQ(a.messages.size(), b.messages.size());
  for (size_t i = 0; i < a.messages.size(); ++i) {
    EXPECT_EQ(a.messages[i].role, b.messages[i].role) << i;
    EXPECT_EQ(a.messages[i].content, b.messages[i].content) << i;
    ASSERT_EQ(a.messages[i].tool_calls.size(), b.messages[i].tool_calls.size()) << i;
    for (size_t k = 0; k < a.messages[i].tool_calls.size(); ++k) {
      EXPECT_EQ(a.messages[i].tool_calls[k].id, b.messages[i].tool_calls[k].id);
      EXPECT_EQ(a.messages[i].tool_calls[k].name, b.messages[i].tool_calls[k].name);
      EXPECT_EQ(json::parse(a.messages[i].tool_calls[k].arguments), json::parse(b.messages[i].tool_calls[k].arguments));
    }
    EXPECT_EQ(a.messages[i].tool_call_id, b.messages[i].tool_call_id) << i;
  }
  ASSERT_EQ(a.tools.size(), b.tools.size());
  EXPECT_EQ(a.tools[0].parameters, b.tools[0].parameters);
  EXPECT_EQ(a.max_tokens, b.max_tokens);
  EXPECT_EQ(a.stop, b.stop);
}

std::vector<StreamEvent> sample_events() {
  std::vector<StreamEvent> ev;
  ev.push_back({StreamEvent::Kind::start});
  StreamEvent r{StreamEvent::Kind::reasoning};
  r.text = "hmm";
  ev.push_back(r);
  StreamEvent t{StreamEvent::Kind::text};
  t.text = "Hi";
  ev.push_back(t);
  StreamEvent c{StreamEvent::Kind::tool_call};
  c.index = 0;
  c.id = "call_9";
  c.name = "f";
  c.arguments = "{\"x\":";
  ev.push_back(c);
  StreamEvent c2{StreamEvent::Kind::tool_call};
  c2.index = 0;
  c2.arguments = "1}";
  ev.push_back(c2);
  StreamEvent u{StreamEvent::Kind::usage};
  u.usage = {7, 5};
  ev.push_back(u);
  StreamEvent f{StreamEvent::Kind::finish};
  f.stop = StopReason::tool_calls;
  ev.push_back(f);
  return ev;
}

}  // namespace

TEST(RouterWire, OpenAIRequestRoundTrip) {
  auto r = sample_request();
  auto j = openai::request_to_json(r, true);
  EXPECT_EQ(j["messages"][2]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(j["messages"][3]["tool_call_id"], "call_1");
  EXPECT_TRUE(j["stream_options"]["include_usage"].get<bool>());
  expect_same(r, openai::request_from_json(j));
}

TEST(RouterWire, AnthropicRequestRoundTripMovesSystemAndToolResults) {
  auto r = sample_request();
  auto j = anthropic::request_to_json(r, false);
  EXPECT_EQ(j["system"], "be brief");
  EXPECT_EQ(j["messages"][1]["content"][0]["type"], "tool_use");
  EXPECT_EQ(j["messages"][1]["content"][0]["input"]["city"], "Paris");
  EXPECT_EQ(j["messages"][2]["role"], "user");
  EXPECT_EQ(j["messages"][2]["content"][0]["type"], "tool_result");
  EXPECT_EQ(j["tools"][0]["input_schema"]["type"], "object");
  EXPECT_EQ(j["stop_sequences"][0], "END");
  expect_same(r, anthropic::request_from_json(j));
}

TEST(RouterWire, OllamaRequestRoundTrip) {
  auto r = sample_request();
  auto j = ollama::request_to_json(r, false);
  EXPECT_EQ(j["options"]["num_predict"], 100);
  EXPECT_TRUE(j["messages"][2]["tool_calls"][0]["function"]["arguments"].is_object());
  bool stream = true;
  auto back = ollama::request_from_json(j, &stream);
  EXPECT_FALSE(stream);
  EXPECT_EQ(back.messages[2].tool_calls[0].name, "get_weather");
  EXPECT_EQ(json::parse(back.messages[2].tool_calls[0].arguments)["city"], "Paris");
}

// Reasoning switches: on/off for every template, the effort for templates that take one (gpt-oss).
TEST(RouterWire, ReasoningEffortIsKeptForTemplatesThatTakeIt) {
  const json msgs = json::array({{{"role", "user"}, {"content", "hi"}}});
  auto r = openai::request_from_json(json{{"model", "x"}, {"messages", msgs}, {"reasoning_effort", "high"}});
  EXPECT_EQ(r.thinking, true);
  EXPECT_EQ(r.reasoning_effort, "high");
  r = openai::request_from_json(json{{"model", "x"}, {"messages", msgs}, {"reasoning_effort", "minimal"}});
  EXPECT_EQ(r.reasoning_effort, "low");
  r = openai::request_from_json(json{{"model", "x"}, {"messages", msgs}, {"reasoning_effort", "none"}});
  EXPECT_EQ(r.thinking, false);
  EXPECT_EQ(r.reasoning_effort, "");
  bool stream = false;
  r = ollama::request_from_json(json{{"model", "x"}, {"messages", msgs}, {"think", "low"}}, &stream);
  EXPECT_EQ(r.thinking, true);
  EXPECT_EQ(r.reasoning_effort, "low");
  EXPECT_THROW(ollama::request_from_json(json{{"model", "x"}, {"messages", msgs}, {"think", "max"}}, &stream), ProviderError);
}

TEST(RouterWire, BadRequestsNameTheField) {
  try {
    openai::request_from_json(json{{"model", "x"}, {"messages", json::array({{{"content", "no role"}}})}});
    FAIL();
  } catch (const ProviderError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::bad_request);
    EXPECT_NE(std::string(e.what()).find("messages[0].role"), std::string::npos);
  }
  EXPECT_THROW(anthropic::request_from_json(json{{"model", "x"}, {"messages", json::array()}}), ProviderError);  // no max_tokens
}

// Fields of the wrong JSON type are refused by name, never escape as json's own type errors
// (the router fuzzer found `{"type":{}}` in an Anthropic content block).
TEST(RouterWire, WrongTypedFieldsAreBadRequestsNotCrashes) {
  auto expect_field = [](auto&& parse, const json& body, const std::string& field) {
    try {
      parse(body);
      ADD_FAILURE() << "accepted " << body.dump();
    } catch (const ProviderError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_request) << body.dump();
      EXPECT_EQ(e.param(), field) << e.what();
    }
  };
  auto anth = [](const json& b) { return anthropic::request_from_json(b); };
  auto oai = [](const json& b) { return openai::request_from_json(b); };
  const json user = {{"role", "user"}};
  auto anth_body = [&](json block) {
    json m = user;
    m["content"] = json::array({block});
    return json{{"model", "m"}, {"max_tokens", 8}, {"messages", json::array({m})}};
  };
  expect_field(anth, anth_body({{"type", json::object()}}), "messages.0.content.type");
  expect_field(anth, anth_body({{"type", "text"}, {"text", 5}}), "messages.0.content.text");
  expect_field(anth, anth_body({{"type", "tool_result"}, {"tool_use_id", json::array()}}),
               "messages.0.content.tool_use_id");
  json sys = anth_body({{"type", "text"}, {"text", "hi"}});
  sys["system"] = json::array({{{"type", 1}}});
  expect_field(anth, sys, "content.type");
  json choice = anth_body({{"type", "text"}, {"text", "hi"}});
  choice["tool_choice"] = {{"type", false}};
  expect_field(anth, choice, "tool_choice.type");

  auto oai_body = [&](json part) {
    json m = user;
    m["content"] = json::array({part});
    return json{{"model", "m"}, {"messages", json::array({m})}};
  };
  expect_field(oai, oai_body({{"type", json::object()}}), "messages[0].content.type");
  expect_field(oai, oai_body({{"type", "text"}, {"text", 1.5}}), "messages[0].content.text");
  json fmt = oai_body({{"type", "text"}, {"text", "hi"}});
  fmt["response_format"] = {{"type", 3}};
  expect_field(oai, fmt, "response_format.type");
  json tc = oai_body({{"type", "text"}, {"text", "hi"}});
  tc["tool_choice"] = {{"function", "not an object"}};
  EXPECT_NO_THROW(oai(tc));  // a non-object function names no tool; treated as absent
  // Right types still parse.
  EXPECT_EQ(anth(anth_body({{"type", "text"}, {"text", "hi"}})).messages.back().content, "hi");
  EXPECT_EQ(oai(oai_body({{"type", "text"}, {"text", "hi"}})).messages.back().content, "hi");
}

TEST(RouterWire, OpenAIStreamEncodeDecodeRoundTrip) {
  openai::StreamEncoder enc("id1", "m", 1, true);
  std::string out;
  for (const auto& e : sample_events()) enc.encode(e, out);
  enc.finish(out);
  EXPECT_EQ(out.rfind("data: [DONE]\n\n"), out.size() - 14);
  // Decode what we produced and re-accumulate.
  openai::StreamDecoder dec;
  Accumulator acc;
  auto sink = [&](const StreamEvent& e) { acc.add(e); return true; };
  size_t pos = 0;
  int frames = 0;
  while ((pos = out.find("data: ", pos)) != std::string::npos) {
    auto end = out.find("\n\n", pos);
    std::string data = out.substr(pos + 6, end - pos - 6);
    pos = end;
    if (data == "[DONE]") break;
    auto j = json::parse(data);
    if (frames++ == 0) EXPECT_EQ(j["choices"][0]["delta"]["role"], "assistant");
    dec.feed(j, sink);
  }
  dec.flush(sink);
  auto r = acc.take();
  EXPECT_EQ(r.message.content, "Hi");
  EXPECT_EQ(r.message.reasoning, "hmm");
  ASSERT_EQ(r.message.tool_calls.size(), 1u);
  EXPECT_EQ(r.message.tool_calls[0].arguments, "{\"x\":1}");
  EXPECT_EQ(r.message.tool_calls[0].id, "call_9");
  EXPECT_EQ(r.stop, StopReason::tool_calls);
  EXPECT_EQ(r.usage.output_tokens, 5);
}

TEST(RouterWire, AnthropicStreamHasTheDocumentedEventOrder) {
  anthropic::StreamEncoder enc("msg_1", "m");
  std::string out;
  for (const auto& e : sample_events()) enc.encode(e, out);
  enc.finish(out);
  std::vector<std::string> names;
  anthropic::StreamDecoder dec;
  Accumulator acc;
  size_t pos = 0;
  while ((pos = out.find("event: ", pos)) != std::string::npos) {
    auto nl = out.find('\n', pos);
    names.push_back(out.substr(pos + 7, nl - pos - 7));
    auto data_end = out.find("\n\n", nl);
    auto data = json::parse(out.substr(nl + 7, data_end - nl - 7));
    dec.feed(names.back(), data, [&](const StreamEvent& e) { acc.add(e); return true; });
    pos = data_end;
  }
  std::vector<std::string> want = {"message_start", "ping",
                                   "content_block_start", "content_block_delta", "content_block_stop",   // thinking
                                   "content_block_start", "content_block_delta", "content_block_stop",   // text
                                   "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",  // tool_use
                                   "message_delta", "message_stop"};
  EXPECT_EQ(names, want);
  EXPECT_TRUE(dec.finished());
  auto r = acc.take();
  EXPECT_EQ(r.message.content, "Hi");
  EXPECT_EQ(r.message.reasoning, "hmm");
  ASSERT_EQ(r.message.tool_calls.size(), 1u);
  EXPECT_EQ(r.message.tool_calls[0].name, "f");
  EXPECT_EQ(r.message.tool_calls[0].arguments, "{\"x\":1}");
  EXPECT_EQ(r.stop, StopReason::tool_calls);
  EXPECT_EQ(r.usage.input_tokens, 7);
}

TEST(RouterWire, ErrorMapping) {
  EXPECT_EQ(error_from_http(401, "bad key", 0).kind(), ErrorKind::auth);
  auto rl = error_from_http(429, "slow down", 2.5);
  EXPECT_EQ(rl.kind(), ErrorKind::rate_limit);
  EXPECT_DOUBLE_EQ(rl.retry_after(), 2.5);
  EXPECT_TRUE(rl.retryable());
  EXPECT_EQ(error_from_http(400, "This model's maximum context length is 8192 tokens", 0).kind(), ErrorKind::context_length);
  EXPECT_EQ(error_from_http(400, "bad", 0).kind(), ErrorKind::bad_request);
  EXPECT_FALSE(error_from_http(400, "bad", 0).retryable());
  EXPECT_EQ(error_from_http(529, "overloaded", 0).kind(), ErrorKind::overloaded);
  EXPECT_EQ(error_from_http(502, "x", 0).kind(), ErrorKind::server);
}
