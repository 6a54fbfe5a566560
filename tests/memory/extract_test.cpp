#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "helpers.h"
#include "memory/extract.h"
#include "support/listen.h"

using namespace hearth::memory;
using hearth::memory::test::TempStore;

namespace {
// Deterministic model: answers from a script; the callback sees the prompt it was given.
struct ScriptedModel : ExtractorModel {
  std::function<std::string(const std::string&)> answer;
  std::string name() const override { return "scripted"; }
  std::string complete(const std::string&, const std::string& user) override { return answer(user); }
};
std::string id_in(const std::string& prompt, const std::string& text) {
  auto line = prompt.find(text);
  auto id = prompt.rfind("id=", line);
  return prompt.substr(id + 3, prompt.find(' ', id) - id - 3);
}
}  // namespace

TEST(MemoryExtract, NewestStatementWinsAndHistoryKeepsTheOld) {
  TempStore t;
  ScriptedModel m;
  m.answer = [](const std::string&) {
    return "```json\n{\"operations\":[{\"op\":\"add\",\"kind\":\"fact\",\"text\":\"Lives in Paris\"}]}\n```";
  };
  auto r1 = extract(*t.store, m, {{"user", "I live in Paris."}});
  ASSERT_EQ(r1.added, 1u);
  m.answer = [](const std::string& prompt) {
    EXPECT_NE(prompt.find("Lives in Paris"), std::string::npos);
    return "{\"operations\":[{\"op\":\"update\",\"id\":\"" + id_in(prompt, "Lives in Paris") +
           "\",\"text\":\"Lives in Berlin\"},{\"op\":\"delete\",\"id\":\"m_not_shown\"},{\"op\":\"none\"}]}";
  };
  auto r2 = extract(*t.store, m, {{"user", "I moved: I live in Berlin now, not Paris."}});
  EXPECT_EQ(r2.updated, 1u);
  EXPECT_EQ(r2.ignored, 1u);
  auto rec = t.store->get(r1.touched[0]);
  EXPECT_EQ(rec->text, "Lives in Berlin");
  ASSERT_EQ(rec->history.size(), 1u);
  EXPECT_EQ(rec->history[0].text, "Lives in Paris");
  EXPECT_EQ(rec->history[0].by, "extraction:scripted");
  m.answer = [](const std::string&) { return "I cannot help with that"; };
  EXPECT_THROW(extract(*t.store, m, {{"user", "x"}}), hearth::Error);
}

TEST(MemoryExtract, OpenAiCompatibleAdapterOverLoopback) {
  httplib::Server srv;
  std::string seen;
  srv.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    seen = req.body;
    hearth::json reply = {{"choices", {{{"message", {{"role", "assistant"},
                                                     {"content", "{\"operations\":[{\"op\":\"add\",\"kind\":"
                                                                 "\"preference\",\"text\":\"Likes jazz\"}]}"}}}}}}};
    res.set_content(reply.dump(), "application/json");
  });
  srv.Post("/v1/embeddings", [&](const httplib::Request& req, httplib::Response& res) {
    auto in = hearth::json::parse(req.body)["input"];
    hearth::json data = hearth::json::array();
    HashEmbedder h;
    for (size_t i = 0; i < in.size(); ++i) data.push_back({{"index", i}, {"embedding", h.embed_one(in[i])}});
    res.set_content(hearth::json({{"data", data}}).dump(), "application/json");
  });
  int port = srv.bind_to_any_port("127.0.0.1");
  std::thread th = hearth::test::listen_in_background(srv);
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  {
    auto dir = hearth::test::make_temp_dir("hearth-ext");
    HttpEmbedder emb(base, "fake-embed");
    Store s(dir / "memory.db", &emb);
    HttpChatModel model(base, "fake-chat");
    auto rep = extract(s, model, {{"user", "I love jazz."}});
    EXPECT_EQ(rep.added, 1u);
    EXPECT_NE(seen.find("fake-chat"), std::string::npos);
    SearchOptions so;
    so.query = "jazz";
    so.mode = SearchMode::vector;
    auto hits = s.search(so);
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].record.text, "Likes jazz");
    EXPECT_EQ(s.stats().embedder, "fake-embed@" + base);
    std::filesystem::remove_all(dir);
  }
  srv.stop();
  th.join();
}

TEST(MemoryExtract, DryRunReportsWithoutChangingAndAlsoJoinsTheUndoStep) {
  TempStore t;
  ScriptedModel m;
  m.answer = [](const std::string&) {
    return "{\"operations\":[{\"op\":\"add\",\"kind\":\"preference\",\"text\":\"Likes tea\"}]}";
  };
  ExtractOptions dry;
  dry.dry_run = true;
  bool also_ran = false;
  dry.also = [&] { also_ran = true; };
  auto d = extract(*t.store, m, {{"user", "I like tea."}}, dry);
  ASSERT_EQ(d.ops.size(), 1u);
  EXPECT_EQ(d.ops[0].op, "add");
  EXPECT_EQ(d.ops[0].kind, "preference");
  EXPECT_TRUE(d.ops[0].id.empty());
  EXPECT_TRUE(d.touched.empty());
  EXPECT_FALSE(also_ran);
  EXPECT_EQ(t.store->stats().live, 0u);

  auto marker = t.store->add(Record{.text = "marker"}, "test");
  ExtractOptions real;
  real.also = [&] { t.store->forget(marker.id, "test"); };
  auto r = extract(*t.store, m, {{"user", "I like tea."}}, real);
  ASSERT_EQ(r.ops.size(), 1u);
  EXPECT_EQ(r.ops[0].id, r.touched[0]);
  EXPECT_TRUE(t.store->get(marker.id)->deleted);
  t.store->undo();  // one step: the added memory and the `also` change go together
  EXPECT_FALSE(t.store->get(marker.id)->deleted);
  EXPECT_FALSE(t.store->get(r.touched[0]).has_value());
}

// may_show (serve passes the extraction provider's scope policies) keeps memories out of the
// prompt; the model cannot then name them either.
TEST(MemoryExtract, MemoriesThePolicyWithholdsAreNotShownToTheModel) {
  TempStore t;
  const Record secret = t.add("The rocket launch codename is Bluebird", "fact", "project:rocket");
  t.add("The rocket toy is red", "fact", "user");
  ScriptedModel m;
  std::string seen;
  m.answer = [&](const std::string& prompt) {
    seen = prompt;
    return "{\"operations\":[{\"op\":\"delete\",\"id\":\"" + secret.id + "\"}]}";
  };
  ExtractOptions o;
  o.scope = "";
  o.may_show = [](const Record& r) { return r.scope.rfind("project:", 0) != 0; };
  auto rep = extract(*t.store, m, {{"user", "Tell me about the rocket launch"}}, o);
  EXPECT_NE(seen.find("rocket toy"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("Bluebird"), std::string::npos) << seen;
  EXPECT_EQ(rep.ignored, 1u);  // the id it was not shown
  EXPECT_FALSE(t.store->get(secret.id)->deleted);
}
