// The OpenAI dialect of the gateway over HTTP: every chat parameter reaches the provider, streams
// are framed exactly like OpenAI's, /v1/completions echoes and scores the prompt, embeddings come
// as floats or base64.
#include <gtest/gtest.h>

#include <cstring>

#include "gateway_fixture.h"

using namespace hearth;
using namespace hearth::router;
using hearth::test::GatewayFixture;

namespace {

json chat_body(json extra = json::object()) {
  json b = {{"model", "smart"}, {"messages", json::array({{{"role", "system"}, {"content", "be brief"}}, {{"role", "user"}, {"content", "hi"}}})}};
  for (auto& [k, v] : extra.items()) b[k] = v;
  return b;
}

}  // namespace

TEST(GatewayOpenAI, ChatMapsEveryParameterAndReportsLogprobsAndCachedTokens) {
  GatewayFixture f;
  json body = chat_body({{"max_completion_tokens", 33}, {"max_tokens", 99}, {"temperature", 0.3}, {"top_p", 0.9}, {"seed", 42},
                         {"stop", json::array({"\n\n", "END"})}, {"n", 1}, {"presence_penalty", 0.5}, {"frequency_penalty", -0.5},
                         {"logit_bias", {{"15", -100}, {"7", 2.5}}}, {"logprobs", true}, {"top_logprobs", 2}, {"top_k", 40},
                         {"min_p", 0.05}, {"typical_p", 0.95}, {"repeat_penalty", 1.1}, {"response_format", {{"type", "json_object"}}}});
  auto res = f.post("/v1/chat/completions", body);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto& q = f.provider->last_chat;
  EXPECT_EQ(q.model, "up-model");
  ASSERT_EQ(q.messages.size(), 2u);
  EXPECT_EQ(q.messages[0].role, Role::system);
  EXPECT_EQ(q.max_tokens, 33);  // max_completion_tokens wins over the deprecated max_tokens
  EXPECT_DOUBLE_EQ(*q.temperature, 0.3);
  EXPECT_DOUBLE_EQ(*q.top_p, 0.9);
  EXPECT_EQ(q.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_EQ(*q.sampling.seed, 42u);
  EXPECT_DOUBLE_EQ(*q.sampling.presence_penalty, 0.5);
  EXPECT_DOUBLE_EQ(*q.sampling.frequency_penalty, -0.5);
  ASSERT_EQ(q.sampling.logit_bias.size(), 2u);
  EXPECT_TRUE(q.sampling.logprobs);
  EXPECT_EQ(q.sampling.top_logprobs, 2);
  EXPECT_EQ(*q.sampling.top_k, 40);
  EXPECT_DOUBLE_EQ(*q.sampling.min_p, 0.05);
  EXPECT_DOUBLE_EQ(*q.sampling.typical_p, 0.95);
  EXPECT_DOUBLE_EQ(*q.sampling.repeat_penalty, 1.1);
  EXPECT_TRUE(q.format.json);
  auto j = json::parse(res->body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["content"], "Hello world");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  const auto& lp = j["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(lp.size(), 2u);
  EXPECT_EQ(lp[1]["token"], " world");
  EXPECT_FLOAT_EQ(lp[1]["logprob"].get<float>(), -0.5f);
  EXPECT_EQ(lp[1]["bytes"].size(), 6u);
  EXPECT_EQ(lp[1]["top_logprobs"][1]["token"], " x");
  EXPECT_EQ(j["usage"]["prompt_tokens"], 7);
  EXPECT_EQ(j["usage"]["completion_tokens"], 2);
  EXPECT_EQ(j["usage"]["total_tokens"], 9);
  EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 3);

  // Without logprobs the field is null, and a single stop string is accepted.
  res = f.post("/v1/chat/completions", chat_body({{"stop", "END"}, {"max_tokens", 5}}));
  ASSERT_EQ(res->status, 200);
  EXPECT_TRUE(json::parse(res->body)["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(f.provider->last_chat.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(f.provider->last_chat.max_tokens, 5);
}

TEST(GatewayOpenAI, ChatStreamIsFramedLikeOpenAI) {
  GatewayFixture f;
  auto res = f.post("/v1/chat/completions", chat_body({{"stream", true}, {"stream_options", {{"include_usage", true}}}, {"logprobs", true}}));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type").rfind("text/event-stream", 0), 0u);
  auto chunks = test::sse_payloads(res->body);
  ASSERT_EQ(chunks.size(), 6u) << res->body;  // role, 2 deltas, finish, usage, [DONE]
  EXPECT_EQ(chunks[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(chunks[0]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(chunks[1]["choices"][0]["delta"]["content"], "Hello");
  EXPECT_EQ(chunks[1]["choices"][0]["logprobs"]["content"][0]["token"], "Hello");
  EXPECT_EQ(chunks[2]["choices"][0]["delta"]["content"], " world");
  EXPECT_TRUE(chunks[2]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(chunks[3]["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(chunks[4]["choices"].empty());
  EXPECT_EQ(chunks[4]["usage"]["completion_tokens"], 2);
  EXPECT_EQ(chunks[4]["usage"]["prompt_tokens_details"]["cached_tokens"], 3);
  EXPECT_EQ(chunks[5], "[DONE]");
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(chunks[i]["id"], chunks[0]["id"]);

  // No usage chunk unless asked.
  res = f.post("/v1/chat/completions", chat_body({{"stream", true}}));
  chunks = test::sse_payloads(res->body);
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_TRUE(chunks[1]["choices"][0]["logprobs"].is_null());
}

TEST(GatewayOpenAI, CompletionsEchoScoresThePrompt) {
  GatewayFixture f;
  auto res = f.post("/v1/completions", json{{"model", "smart"}, {"prompt", json::array({"The capital"})}, {"echo", true},
                                            {"logprobs", 1}, {"max_tokens", 0}, {"seed", 7}, {"top_k", 1}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const auto& q = f.provider->last_completion;
  EXPECT_EQ(q.model, "up-model");
  EXPECT_EQ(q.prompt, "The capital");
  EXPECT_TRUE(q.echo);
  EXPECT_EQ(q.max_tokens, 0);
  EXPECT_TRUE(q.sampling.logprobs);
  EXPECT_EQ(q.sampling.top_logprobs, 1);
  EXPECT_EQ(*q.sampling.seed, 7u);
  auto j = json::parse(res->body);
  EXPECT_EQ(j["object"], "text_completion");
  const auto& c = j["choices"][0];
  EXPECT_EQ(c["text"], "The capital");
  const auto& lp = c["logprobs"];
  EXPECT_EQ(lp["tokens"], json::array({"The c", "apital"}));
  EXPECT_TRUE(lp["token_logprobs"][0].is_null());
  EXPECT_FLOAT_EQ(lp["token_logprobs"][1].get<float>(), -1.25f);
  EXPECT_TRUE(lp["top_logprobs"][0].is_null());
  EXPECT_FLOAT_EQ(lp["top_logprobs"][1]["apital"].get<float>(), -1.25f);
  EXPECT_EQ(lp["text_offset"], json::array({0, 5}));
  EXPECT_EQ(j["usage"]["completion_tokens"], 0);

  // Generated text after the echo, streamed: offsets continue across chunks.
  res = f.post("/v1/completions", json{{"model", "smart"}, {"prompt", "The capital"}, {"echo", true}, {"logprobs", 2},
                                       {"stream", true}, {"stream_options", {{"include_usage", true}}}});
  ASSERT_EQ(res->status, 200) << res->body;
  auto chunks = test::sse_payloads(res->body);
  ASSERT_EQ(chunks.size(), 5u) << res->body;  // echo, " Paris", finish, usage, [DONE]
  EXPECT_EQ(chunks[0]["object"], "text_completion");
  EXPECT_EQ(chunks[0]["choices"][0]["text"], "The capital");
  EXPECT_EQ(chunks[1]["choices"][0]["text"], " Paris");
  EXPECT_EQ(chunks[1]["choices"][0]["logprobs"]["text_offset"], json::array({11}));
  EXPECT_FLOAT_EQ(chunks[1]["choices"][0]["logprobs"]["top_logprobs"][0][" Lyon"].get<float>(), -3.0f);
  EXPECT_EQ(chunks[2]["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(chunks[3]["usage"]["completion_tokens"], 1);
  EXPECT_EQ(chunks[4], "[DONE]");

  // max_tokens 0 without echo asks for nothing.
  res = f.post("/v1/completions", json{{"model", "smart"}, {"prompt", "x"}, {"max_tokens", 0}});
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["error"]["param"], "max_tokens");
}

TEST(GatewayOpenAI, EmbeddingsAsFloatsOrBase64AndModelsList) {
  GatewayFixture f;
  auto res = f.post("/v1/embeddings", json{{"model", "smart"}, {"input", json::array({"abc", "hello"})}});
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = json::parse(res->body);
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][1]["index"], 1);
  EXPECT_EQ(j["data"][1]["embedding"], json::array({5.0, 1.0}));
  EXPECT_EQ(j["usage"]["prompt_tokens"], 2);
  res = f.post("/v1/embeddings", json{{"model", "smart"}, {"input", "abc"}, {"encoding_format", "base64"}});
  ASSERT_EQ(res->status, 200) << res->body;
  // [3.0f, 1.0f] little-endian: 00 00 40 40 00 00 80 3f
  EXPECT_EQ(json::parse(res->body)["data"][0]["embedding"], "AABAQAAAgD8=");
  res = f.post("/v1/embeddings", json{{"model", "smart"}, {"input", "abc"}, {"encoding_format", "int8"}});
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["error"]["param"], "encoding_format");
  res = f.get("/v1/models");
  ASSERT_EQ(res->status, 200);
  bool found = false;
  const json models = json::parse(res->body);  // kept alive: the loop walks a part of it
  for (const auto& m : models["data"]) found = found || m["id"] == "smart";
  EXPECT_TRUE(found) << res->body;
}
