// extract_after over a fake router provider: the exchange (not the system prompt) reaches the
// extraction model, its operations are applied, and opted-out chats are left alone.
#include <gtest/gtest.h>

#include "helpers.h"
#include "memory/serve_extract.h"

using namespace hearth::memory;
using hearth::memory::test::TempStore;
namespace router = hearth::router;

namespace {

struct FakeProvider : router::Provider {
  std::vector<router::ChatRequest> seen;
  std::string reply;
  std::string name() const override { return "fake"; }
  router::ChatResponse chat(const router::ChatRequest& req) override {
    seen.push_back(req);
    router::ChatResponse r;
    r.message.content = reply;
    return r;
  }
  void chat_stream(const router::ChatRequest&, const router::StreamSink&) override {
    hearth::fail(hearth::Errc::unsupported, "not used");
  }
};

router::ChatRequest exchange(std::optional<bool> use) {
  router::ChatRequest req;
  req.request_id = "req-42";
  req.use_memory = use;
  req.messages.push_back({router::Role::system, "Things you remember: SYSTEM-ONLY-TEXT"});
  req.messages.push_back({router::Role::user, "I adopted a dog named Rex last week."});
  return req;
}

}  // namespace

TEST(MemoryServeExtract, TheExchangeBecomesMemories) {
  TempStore t;
  FakeProvider p;
  p.reply = R"({"operations":[{"op":"add","kind":"fact","text":"Has a dog named Rex"}]})";
  ProviderModel model(p, "local:extractor");
  router::ChatResponse resp;
  resp.message.content = "Congratulations on Rex!";
  auto rep = extract_after(*t.store, model, exchange(true), resp);
  ASSERT_EQ(rep.added, 1u);
  auto rec = t.store->get(rep.touched.at(0));
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->text, "Has a dog named Rex");
  EXPECT_EQ(rec->source.conversation, "req-42");
  ASSERT_EQ(p.seen.size(), 1u);
  const auto& sent = p.seen[0];
  EXPECT_EQ(sent.model, "local:extractor");
  EXPECT_EQ(sent.use_memory, std::optional<bool>(false));
  std::string prompt = sent.messages.back().content;
  EXPECT_NE(prompt.find("adopted a dog named Rex"), std::string::npos);
  EXPECT_NE(prompt.find("Congratulations on Rex!"), std::string::npos);
  EXPECT_EQ(prompt.find("SYSTEM-ONLY-TEXT"), std::string::npos);
}

TEST(MemoryServeExtract, OptedOutOrEmptyChatsAreLeftAlone) {
  TempStore t;
  FakeProvider p;
  p.reply = R"({"operations":[{"op":"add","kind":"fact","text":"x"}]})";
  ProviderModel model(p, "m");
  router::ChatResponse resp;
  resp.message.content = "ok";
  EXPECT_EQ(extract_after(*t.store, model, exchange(false), resp).added, 0u);
  EXPECT_EQ(extract_after(*t.store, model, exchange(std::nullopt), resp).added, 0u);  // default off
  router::ChatRequest no_user;
  no_user.use_memory = true;
  EXPECT_EQ(extract_after(*t.store, model, no_user, resp).added, 0u);
  EXPECT_TRUE(p.seen.empty());
  ExtractAfterOptions on;
  on.default_on = true;
  EXPECT_EQ(extract_after(*t.store, model, exchange(std::nullopt), resp, on).added, 1u);
  // A model answering nonsense is an error the caller logs; nothing is stored.
  p.reply = "no idea";
  EXPECT_THROW(extract_after(*t.store, model, exchange(true), resp), hearth::Error);
  EXPECT_EQ(t.store->stats().live, 1u);
}

TEST(MemoryServeExtract, WorkerRunsExtractionInTheBackground) {
  TempStore t;
  FakeProvider p;
  p.reply = R"({"operations":[{"op":"add","kind":"fact","text":"Has a dog named Rex"}]})";
  ProviderModel model(p, "m");
  router::ChatResponse resp;
  resp.message.content = "Nice!";
  {
    ExtractWorker w(*t.store, model);
    EXPECT_TRUE(w.submit(exchange(true), resp));
    EXPECT_TRUE(w.submit(exchange(false), resp));  // opted out: not queued
    w.drain();
    EXPECT_EQ(w.processed(), 1u);
    EXPECT_EQ(t.store->stats().live, 1u);
    p.reply = "garbage";  // a failing extraction is logged, the worker carries on
    EXPECT_TRUE(w.submit(exchange(true), resp));
    w.drain();
    EXPECT_EQ(w.processed(), 2u);
    p.reply = R"({"operations":[{"op":"add","kind":"fact","text":"Walks Rex daily"}]})";
    EXPECT_TRUE(w.submit(exchange(true), resp));
  }  // the destructor finishes queued work
  EXPECT_EQ(t.store->stats().live, 2u);
}
