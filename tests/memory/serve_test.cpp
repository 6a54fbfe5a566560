// Serving memory: augment_chat on canonical chat requests, and the REST API over a loopback
// httplib server, as the web UI uses it.
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "helpers.h"
#include "memory/serve_augment.h"
#include "server/memory_routes.h"
#include "support/listen.h"

using namespace hearth::memory;
using hearth::json;
using hearth::server::MemoryRouteOptions;
using hearth::server::mount_memory_routes;
using hearth::memory::test::TempStore;
namespace router = hearth::router;

namespace {

router::ChatRequest chat(std::vector<std::pair<router::Role, std::string>> msgs, std::optional<bool> use = true) {
  router::ChatRequest r;
  r.model = "local:test";
  for (auto& [role, text] : msgs) {
    router::Message m;
    m.role = role;
    m.content = text;
    r.messages.push_back(m);
  }
  r.use_memory = use;
  return r;
}

void fill_three(TempStore& t) {
  t.add("The user is allergic to peanuts and shellfish");
  t.add("Prefers dark roast coffee in the morning", "preference");
  t.add("Their sister Anna lives in Vienna");
}

}  // namespace

TEST(MemoryServe, AugmentAddsRelevantMemoriesToTheSystemPrompt) {
  TempStore t;
  fill_three(t);
  AugmentOptions o;
  auto req = chat({{router::Role::system, "You are terse."}, {router::Role::user, "Suggest a snack, I am allergic to things"}});
  size_t n = augment_chat(*t.store, req, o);
  ASSERT_GE(n, 1u);
  ASSERT_EQ(req.messages.size(), 2u);  // merged into the existing system message
  const auto& sys = req.messages[0].content;
  EXPECT_EQ(sys.rfind("You are terse.\n\n", 0), 0u);
  EXPECT_NE(sys.find("allergic to peanuts"), std::string::npos);
  ASSERT_EQ(req.memory_ids.size(), n);
  EXPECT_EQ(t.store->get(req.memory_ids[0])->text, "The user is allergic to peanuts and shellfish");
  // Every id in memory_ids is in the prompt and vice versa.
  for (const auto& id : req.memory_ids) EXPECT_NE(sys.find(t.store->get(id)->text), std::string::npos);

  // No system message: one is created at the front.
  auto req2 = chat({{router::Role::user, "Where does Anna live?"}});
  ASSERT_GE(augment_chat(*t.store, req2, o), 1u);
  ASSERT_EQ(req2.messages.size(), 2u);
  EXPECT_EQ(req2.messages[0].role, router::Role::system);
  EXPECT_NE(req2.messages[0].content.find("Vienna"), std::string::npos);
  EXPECT_EQ(req2.messages[1].content, "Where does Anna live?");
}

TEST(MemoryServe, AugmentRespectsOptInAndLimits) {
  TempStore t;
  fill_three(t);
  AugmentOptions o;
  auto off = chat({{router::Role::user, "peanuts?"}}, false);
  EXPECT_EQ(augment_chat(*t.store, off, o), 0u);
  EXPECT_EQ(off.messages.size(), 1u);
  auto unset = chat({{router::Role::user, "peanuts?"}}, std::nullopt);
  EXPECT_EQ(augment_chat(*t.store, unset, o), 0u);  // server default is off
  o.default_on = true;
  EXPECT_EQ(augment_chat(*t.store, unset, o), 1u);
  EXPECT_TRUE(unset.memory_ids.size() == 1);

  // A block too small for any memory adds nothing and names nothing.
  AugmentOptions tiny;
  tiny.max_chars = 40;
  auto r = chat({{router::Role::user, "peanuts and coffee and Anna"}});
  EXPECT_EQ(augment_chat(*t.store, r, tiny), 0u);
  EXPECT_TRUE(r.memory_ids.empty());
  EXPECT_EQ(r.messages.size(), 1u);

  // Nothing relevant: recency and importance alone do not add memories.
  auto none = chat({{router::Role::user, "xylophone quantum zebra"}});
  EXPECT_EQ(augment_chat(*t.store, none, o), 0u);
  EXPECT_TRUE(none.memory_ids.empty());

  // Only user turns form the query: an assistant turn mentioning coffee does not pull it in.
  AugmentOptions bm;
  bm.mode = SearchMode::bm25;
  auto mixed = chat({{router::Role::assistant, "Would you like coffee?"}, {router::Role::user, "Tell me about Anna"}});
  ASSERT_EQ(augment_chat(*t.store, mixed, bm), 1u);
  EXPECT_EQ(mixed.messages[0].content.find("coffee"), std::string::npos);
}

namespace {

struct Api {
  TempStore t;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::unique_ptr<httplib::Client> cli;
  explicit Api(MemoryRouteOptions opts = {}) {
    mount_memory_routes(server, *t.store, opts);
    port = server.bind_to_any_port("127.0.0.1");
    thread = hearth::test::listen_in_background(server);
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    cli = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  ~Api() {
    server.stop();
    thread.join();
  }
  std::pair<int, json> call(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Result r = method == "GET"      ? cli->Get(path.c_str())
                        : method == "POST"   ? cli->Post(path.c_str(), body, "application/json")
                        : method == "PATCH"  ? cli->Patch(path.c_str(), body, "application/json")
                                             : cli->Delete(path.c_str());
    if (!r) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }
};

}  // namespace

TEST(MemoryServe, RestApiAddSearchEditDeleteUndo) {
  Api api;
  auto [st, added] = api.call("POST", "/api/hearth/memory",
                              R"({"text": "Prefers dark roast coffee", "kind": "preference", "tags": ["drinks"]})");
  ASSERT_EQ(st, 201) << added.dump();
  std::string id = added["id"];
  EXPECT_EQ(added["kind"], "preference");
  EXPECT_EQ(api.t.store->get(id)->source.provider, "web");
  api.call("POST", "/api/hearth/memory", R"({"text": "Their sister Anna lives in Vienna"})");
  EXPECT_EQ(added["reconcile"]["action"], "added");
  auto [dup_st, dup] = api.call("POST", "/api/hearth/memory", R"({"text": "prefers dark roast coffee.", "kind": "preference"})");
  EXPECT_EQ(dup_st, 200) << dup.dump();  // already remembered: nothing new stored
  EXPECT_EQ(dup["id"], id);
  EXPECT_EQ(dup["reconcile"]["action"], "duplicate");

  auto [ls, list] = api.call("GET", "/api/hearth/memory?limit=10");
  ASSERT_EQ(ls, 200);
  EXPECT_EQ(list["memories"].size(), 2u);
  auto [ts, tagged] = api.call("GET", "/api/hearth/memory?tag=drinks");
  ASSERT_EQ(tagged["memories"].size(), 1u);
  EXPECT_EQ(tagged["memories"][0]["id"], id);

  auto [ss, found] = api.call("GET", "/api/hearth/memory/search?q=coffee&limit=5");
  ASSERT_EQ(ss, 200) << found.dump();
  ASSERT_FALSE(found["results"].empty());
  EXPECT_EQ(found["results"][0]["memory"]["id"], id);
  EXPECT_GT(found["results"][0]["score"].get<double>(), 0);
  EXPECT_FALSE(found["results"][0]["why"].empty());

  auto [gs, got] = api.call("GET", "/api/hearth/memory/" + id);
  ASSERT_EQ(gs, 200);
  EXPECT_EQ(got["text"], "Prefers dark roast coffee");

  auto [es, edited] = api.call("PATCH", "/api/hearth/memory/" + id, R"({"text": "Prefers green tea", "importance": 0.9})");
  ASSERT_EQ(es, 200) << edited.dump();
  EXPECT_EQ(edited["text"], "Prefers green tea");
  EXPECT_EQ(api.t.store->get(id)->history.back().text, "Prefers dark roast coffee");

  auto [ds, deleted] = api.call("DELETE", "/api/hearth/memory/" + id);
  ASSERT_EQ(ds, 200);
  EXPECT_EQ(api.call("GET", "/api/hearth/memory")
                .second["memories"]
                .size(),
            1u);
  EXPECT_EQ(api.call("GET", "/api/hearth/memory?deleted=1").second["memories"].size(), 2u);

  auto [us, undone] = api.call("POST", "/api/hearth/memory/undo");
  ASSERT_EQ(us, 200);
  EXPECT_EQ(undone["undone"], json::array({id}));
  EXPECT_FALSE(api.t.store->get(id)->deleted);
  EXPECT_EQ(api.t.store->get(id)->text, "Prefers green tea");
}

TEST(MemoryServe, RestApiRefusesBadRequestsClearly) {
  Api api;
  auto expect_error = [&](const std::string& method, const std::string& path, const std::string& body, int status,
                          const std::string& words) {
    auto [st, j] = api.call(method, path, body);
    EXPECT_EQ(st, status) << method << " " << path << " " << j.dump();
    ASSERT_TRUE(j.contains("error")) << j.dump();
    EXPECT_NE(j["error"]["message"].get<std::string>().find(words), std::string::npos) << j.dump();
  };
  expect_error("GET", "/api/hearth/memory/m_nope", "", 404, "no memory with id m_nope");
  expect_error("PATCH", "/api/hearth/memory/m_nope", R"({"text": "x"})", 404, "m_nope");
  expect_error("DELETE", "/api/hearth/memory/m_nope", "", 404, "m_nope");
  expect_error("POST", "/api/hearth/memory", "{not json", 400, "JSON object");
  expect_error("POST", "/api/hearth/memory", R"({"kind": "fact"})", 400, "\"text\" is required");
  expect_error("POST", "/api/hearth/memory", R"({"text": 5})", 400, "\"text\" must be a string");
  expect_error("POST", "/api/hearth/memory", R"({"text": "x", "colour": "red"})", 400, "unknown field \"colour\"");
  expect_error("POST", "/api/hearth/memory", R"({"text": "x", "kind": "gossip"})", 400, "kind");
  expect_error("POST", "/api/hearth/memory", R"({"text": "x", "tags": [1]})", 400, "tags");
  expect_error("GET", "/api/hearth/memory/search", "", 400, "q is required");
  expect_error("GET", "/api/hearth/memory/search?q=x&mode=psychic", "", 400, "psychic");
  expect_error("GET", "/api/hearth/memory/search?q=x&min_similarity=high", "", 400, "min_similarity");
  expect_error("GET", "/api/hearth/memory/search?q=x&min_similarity=2", "", 400, "from -1 to 1");
  expect_error("GET", "/api/hearth/memory?limit=-1", "", 400, "limit");
  EXPECT_EQ(api.call("POST", "/api/hearth/memory/undo").second["undone"], json::array());
  EXPECT_EQ(api.t.store->stats().live, 0u);  // nothing was stored by the refused requests
}

TEST(MemoryServe, RestApiChecksAuthorizationFirst) {
  MemoryRouteOptions o;
  o.authorize = [](const httplib::Request& req) { return req.get_header_value("Authorization") == "Bearer k1"; };
  Api api(o);
  auto [st, j] = api.call("POST", "/api/hearth/memory", R"({"text": "secret"})");
  EXPECT_EQ(st, 401);
  EXPECT_EQ(j["error"]["type"], "auth");
  EXPECT_EQ(api.call("GET", "/api/hearth/memory").first, 401);
  EXPECT_EQ(api.t.store->stats().live, 0u);
  api.cli->set_default_headers({{"Authorization", "Bearer k1"}});
  EXPECT_EQ(api.call("POST", "/api/hearth/memory", R"({"text": "secret"})").first, 201);
  EXPECT_EQ(api.call("GET", "/api/hearth/memory").second["memories"].size(), 1u);
}
