// MCP protocol handling: lifecycle, version negotiation, tools and JSON-RPC errors, driven
// through the stdio transport and through the Streamable HTTP transport on a real socket.
#include <gtest/gtest.h>
#include <httplib.h>

#include <sstream>
#include <thread>

#include "helpers.h"
#include "memory/mcp_transport.h"
#include "support/listen.h"

namespace hearth::memory::test {
namespace {

using mcp::Server;
using mcp::Session;

json rpc(int id, const std::string& method, json params = json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}
json init_params(const std::string& version) {
  return {{"protocolVersion", version}, {"capabilities", json::object()},
          {"clientInfo", {{"name", "gtest"}, {"version", "1"}}}};
}

struct McpFixture : ::testing::Test {
  TempStore ts;
  Server server{*ts.store, {"hearth-memory", "test", "mcp"}};
  Session session;
  json call(const json& msg) {
    auto r = server.handle(msg, session);
    EXPECT_TRUE(r.has_value());
    return r ? *r : json();
  }
  json tool(const std::string& name, json args, int id = 9) {
    return call(rpc(id, "tools/call", {{"name", name}, {"arguments", std::move(args)}}));
  }
  void init(const std::string& v = "2025-06-18") {
    auto r = call(rpc(1, "initialize", init_params(v)));
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_FALSE(server.handle({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, session));
  }
};

TEST_F(McpFixture, NegotiatesEachSupportedRevisionAndOffersNewestForUnknown) {
  for (std::string v : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
    Session s;
    auto r = server.handle(rpc(1, "initialize", init_params(v)), s);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)["result"]["protocolVersion"], v);
    EXPECT_TRUE((*r)["result"]["capabilities"].contains("tools"));
    EXPECT_EQ((*r)["result"]["serverInfo"]["name"], "hearth-memory");
  }
  Session s;
  auto r = server.handle(rpc(1, "initialize", init_params("1999-01-01")), s);
  EXPECT_EQ((*r)["result"]["protocolVersion"], "2025-11-25");
}

TEST_F(McpFixture, RefusesWorkBeforeInitializeAndSecondInitialize) {
  auto r = call(rpc(2, "tools/list"));
  EXPECT_EQ(r["error"]["code"], mcp::kInvalidRequest);
  EXPECT_EQ(r["id"], 2);
  EXPECT_EQ(call(rpc(3, "ping"))["result"], json::object());  // ping is always allowed
  init();
  EXPECT_EQ(call(rpc(4, "initialize", init_params("2025-06-18")))["error"]["code"], mcp::kInvalidRequest);
}

TEST_F(McpFixture, ToolListDiffersByRevision) {
  init("2025-06-18");
  auto tools = call(rpc(2, "tools/list"))["result"]["tools"];
  std::set<std::string> names;
  for (auto& t : tools) names.insert(t["name"]);
  for (auto n : {"memory_add", "memory_search", "memory_list", "memory_get", "memory_update", "memory_forget", "memory_undo"})
    EXPECT_TRUE(names.count(n)) << n;
  EXPECT_TRUE(tools[0].contains("title"));
  EXPECT_TRUE(tools[0].contains("annotations"));
  Session old;
  server.handle(rpc(1, "initialize", init_params("2024-11-05")), old);
  auto t_old = (*server.handle(rpc(2, "tools/list"), old))["result"]["tools"];
  EXPECT_FALSE(t_old[0].contains("title"));
  EXPECT_FALSE(t_old[0].contains("annotations"));
}

TEST_F(McpFixture, AddSearchUpdateForgetUndoThroughTools) {
  init();
  auto add = tool("memory_add", {{"text", "The user's dog is called Biscuit"}, {"kind", "fact"}, {"tags", {"pets"}}});
  ASSERT_FALSE(add["result"]["isError"]) << add.dump();
  std::string id = add["result"]["structuredContent"]["memory"]["id"];
  EXPECT_EQ(ts.store->get(id)->source.provider, "mcp:gtest");
  // The text content carries the same JSON for clients that ignore structuredContent.
  EXPECT_EQ(json::parse(add["result"]["content"][0]["text"].get<std::string>())["memory"]["id"], id);
  EXPECT_EQ(add["result"]["structuredContent"]["action"], "added");
  // The same attribute said again supersedes the old statement; the same words are a duplicate.
  auto moved = tool("memory_add", {{"text", "The user's dog is called Pepper"}})["result"]["structuredContent"];
  EXPECT_EQ(moved["action"], "superseded");
  EXPECT_EQ(moved["superseded"], json::array({id}));
  auto again = tool("memory_add", {{"text", "the user's dog is called pepper!"}})["result"]["structuredContent"];
  EXPECT_EQ(again["action"], "duplicate");
  EXPECT_EQ(again["memory"]["id"], moved["memory"]["id"]);
  ASSERT_FALSE(tool("memory_undo", json::object())["result"]["isError"]);  // back to Biscuit

  auto found = tool("memory_search", {{"query", "what is the dog called"}})["result"]["structuredContent"]["hits"];
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0]["id"], id);
  EXPECT_FALSE(found[0]["why"].empty());

  auto up = tool("memory_update", {{"id", id}, {"text", "The user's dog is called Pepper"}});
  EXPECT_EQ(up["result"]["structuredContent"]["memory"]["history"][0]["text"], "The user's dog is called Biscuit");
  tool("memory_forget", {{"id", id}});
  EXPECT_TRUE(ts.store->get(id)->deleted);
  auto undo = tool("memory_undo", json::object());
  EXPECT_EQ(undo["result"]["structuredContent"]["reverted"][0], id);
  EXPECT_FALSE(ts.store->get(id)->deleted);
  auto list = tool("memory_list", {{"tags", {"pets"}}})["result"]["structuredContent"]["memories"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["text"], "The user's dog is called Pepper");
  EXPECT_EQ(tool("memory_get", {{"id", id}})["result"]["structuredContent"]["memory"]["id"], id);
}

TEST_F(McpFixture, OldRevisionGetsTextContentOnly) {
  init("2024-11-05");
  auto add = tool("memory_add", {{"text", "Allergic to peanuts"}});
  EXPECT_FALSE(add["result"].contains("structuredContent"));
  EXPECT_EQ(json::parse(add["result"]["content"][0]["text"].get<std::string>())["memory"]["text"], "Allergic to peanuts");
}

// 2025-11-25: bad arguments come back as a tool error the model can read; an unknown tool is
// still a protocol error.
TEST_F(McpFixture, NewestRevisionReturnsArgumentErrorsAsToolErrors) {
  init("2025-11-25");
  EXPECT_EQ(tool("no_such_tool", json::object())["error"]["code"], mcp::kInvalidParams);
  for (const json& args : {json::object(), json{{"text", 5}}, json{{"text", "x"}, {"importance", 7}}}) {
    auto r = tool("memory_add", args);
    ASSERT_TRUE(r.contains("result")) << r.dump();
    EXPECT_TRUE(r["result"]["isError"].get<bool>());
    EXPECT_FALSE(r["result"]["content"][0]["text"].get<std::string>().empty());
  }
  EXPECT_EQ(ts.store->stats().live, 0u);
  EXPECT_FALSE(tool("memory_add", {{"text", "Likes tea"}})["result"]["isError"].get<bool>());
}

TEST_F(McpFixture, ErrorsAreJsonRpcOrToolErrorsAsTheSpecSays) {
  init();
  // Protocol errors: unknown tool, missing or mistyped arguments, unknown method.
  EXPECT_EQ(tool("no_such_tool", json::object())["error"]["code"], mcp::kInvalidParams);
  EXPECT_EQ(tool("memory_add", json::object())["error"]["code"], mcp::kInvalidParams);
  EXPECT_EQ(tool("memory_add", {{"text", 5}})["error"]["code"], mcp::kInvalidParams);
  EXPECT_EQ(tool("memory_add", {{"text", "x"}, {"importance", 7}})["error"]["code"], mcp::kInvalidParams);
  EXPECT_EQ(call(rpc(5, "tools/call", {{"name", "memory_add"}, {"arguments", "text"}}))["error"]["code"], mcp::kInvalidParams);
  EXPECT_EQ(call(rpc(6, "resources/list"))["error"]["code"], mcp::kMethodNotFound);
  // Execution errors the model can read: unknown id, invalid kind.
  auto miss = tool("memory_get", {{"id", "m_000000000000000000000000"}});
  EXPECT_TRUE(miss["result"]["isError"]);
  EXPECT_NE(miss["result"]["content"][0]["text"].get<std::string>().find("no memory"), std::string::npos);
  EXPECT_TRUE(tool("memory_add", {{"text", "x"}, {"kind", "gossip"}})["result"]["isError"]);
  // Malformed envelopes.
  EXPECT_EQ(call(json::array({1}))["error"]["code"], mcp::kInvalidRequest);  // no batches in 2025-06-18
  EXPECT_EQ(call(json{{"jsonrpc", "1.0"}, {"id", 1}, {"method", "ping"}})["error"]["code"], mcp::kInvalidRequest);
  EXPECT_EQ(call(json{{"jsonrpc", "2.0"}, {"id", 1.5}, {"method", "ping"}})["error"]["code"], mcp::kInvalidRequest);
  EXPECT_EQ(call(json{{"jsonrpc", "2.0"}, {"id", 1}})["error"]["code"], mcp::kInvalidRequest);
  EXPECT_EQ(call(json("hello"))["error"]["code"], mcp::kInvalidRequest);
  auto bad = server.handle_text("{\"jsonrpc\": \"2.0\", ", session);
  EXPECT_EQ((*bad)["error"]["code"], mcp::kParseError);
  EXPECT_TRUE((*bad)["id"].is_null());
}

TEST_F(McpFixture, BatchesOnlyIn20250326) {
  init("2025-03-26");
  json batch = json::array({rpc(2, "ping"), json{{"jsonrpc", "2.0"}, {"method", "notifications/x"}}, rpc(3, "tools/list")});
  auto r = call(batch);
  ASSERT_TRUE(r.is_array());
  EXPECT_EQ(r.size(), 2u);  // the notification gets no answer
}

TEST_F(McpFixture, StdioTransportAnswersLineByLine) {
  std::stringstream in, out;
  in << rpc(1, "initialize", init_params("2024-11-05")).dump() << "\n"
     << json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump() << "\r\n"
     << "\n"
     << "not json\n"
     << rpc(2, "tools/call", {{"name", "memory_add"}, {"arguments", {{"text", "Works night shifts"}}}}).dump() << "\n"
     << std::string(300, 'x') << "\n"
     << rpc(3, "ping").dump();  // last line without a newline still counts
  mcp::serve_stdio(server, in, out, 200);
  std::vector<json> lines;
  std::string l;
  while (std::getline(out, l)) lines.push_back(json::parse(l));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["result"]["protocolVersion"], "2024-11-05");
  EXPECT_EQ(lines[1]["error"]["code"], mcp::kParseError);
  EXPECT_FALSE(lines[2]["result"]["isError"]);
  EXPECT_EQ(lines[3]["error"]["code"], mcp::kInvalidRequest);  // over the line limit
  EXPECT_EQ(lines[4]["id"], 3);
  EXPECT_EQ(ts.store->list({}).size(), 1u);
}


struct McpHttp : McpFixture {
  httplib::Server http;
  std::unique_ptr<mcp::HttpTransport> transport;
  std::thread th;
  int port = 0;
  void start(mcp::HttpOptions o = {}) {
    transport = std::make_unique<mcp::HttpTransport>(server, o);
    transport->mount(http);
    port = http.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    th = hearth::test::listen_in_background(http);
    while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    http.stop();
    if (th.joinable()) th.join();
  }
  httplib::Result post(const json& body, httplib::Headers h = {}) {
    httplib::Client c("127.0.0.1", port);
    h.emplace("Accept", "application/json, text/event-stream");
    return c.Post("/mcp", h, body.dump(), "application/json");
  }
  std::string open() {
    auto r = post(rpc(1, "initialize", init_params("2025-06-18")));
    EXPECT_EQ(r->status, 200);
    return r->get_header_value("Mcp-Session-Id");
  }
};

TEST_F(McpHttp, SessionLifecycleJsonResponses) {
  start();
  std::string sid = open();
  ASSERT_EQ(sid.size(), 32u);
  httplib::Headers h = {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-06-18"}};
  auto n = post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, h);
  EXPECT_EQ(n->status, 202);
  EXPECT_TRUE(n->body.empty());
  auto r = post(rpc(2, "tools/call", {{"name", "memory_add"}, {"arguments", {{"text", "Prefers window seats"}}}}), h);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_FALSE(json::parse(r->body)["result"]["isError"]);
  EXPECT_EQ(ts.store->list({}).size(), 1u);
  // Missing and unknown sessions, bad protocol version header, bad JSON.
  EXPECT_EQ(post(rpc(3, "ping"))->status, 400);
  EXPECT_EQ(post(rpc(3, "ping"), {{"Mcp-Session-Id", "nope"}})->status, 404);
  EXPECT_EQ(post(rpc(3, "ping"), {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2020-01-01"}})->status, 400);
  httplib::Client c("127.0.0.1", port);
  auto bad = c.Post("/mcp", {{"Mcp-Session-Id", sid}}, "{oops", "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["error"]["code"], mcp::kParseError);
  auto get = c.Get("/mcp", {{"Mcp-Session-Id", sid}, {"Accept", "text/event-stream"}});
  EXPECT_EQ(get->status, 405);
  // DELETE ends the session.
  EXPECT_EQ(c.Delete("/mcp", {{"Mcp-Session-Id", sid}})->status, 200);
  EXPECT_EQ(post(rpc(4, "ping"), h)->status, 404);
  EXPECT_EQ(transport->session_count(), 0u);
}

TEST_F(McpHttp, SseResponsesAndOriginCheck) {
  mcp::HttpOptions o;
  o.allowed_origins = {"https://app.example"};
  start(o);
  httplib::Client c("127.0.0.1", port);
  auto r = c.Post("/mcp", {{"Accept", "text/event-stream"}}, rpc(1, "initialize", init_params("2025-03-26")).dump(),
                  "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  ASSERT_EQ(r->body.rfind("event: message\ndata: ", 0), 0u) << r->body;
  auto j = json::parse(r->body.substr(21));
  EXPECT_EQ(j["result"]["protocolVersion"], "2025-03-26");
  auto evil = post(rpc(1, "initialize", init_params("2025-06-18")), {{"Origin", "http://evil.example"}});
  EXPECT_EQ(evil->status, 403);
  EXPECT_EQ(post(rpc(1, "initialize", init_params("2025-06-18")), {{"Origin", "https://app.example"}})->status, 200);
  EXPECT_EQ(post(rpc(1, "initialize", init_params("2025-06-18")), {{"Origin", "http://localhost:3000"}})->status, 200);
  EXPECT_EQ(c.Post("/mcp", {{"Accept", "text/html"}}, rpc(1, "ping").dump(), "application/json")->status, 406);
}

TEST_F(McpHttp, SessionsAreBounded) {
  mcp::HttpOptions o;
  o.max_sessions = 3;
  start(o);
  std::string first = open();
  for (int i = 0; i < 4; ++i) open();
  EXPECT_EQ(transport->session_count(), 3u);
  EXPECT_EQ(post(rpc(2, "ping"), {{"Mcp-Session-Id", first}})->status, 404);  // the oldest went first
}

// With a key set, every request on the endpoint must present it; Host/Origin still come first.
TEST_F(McpHttp, ApiKeyIsRequiredWhenSet) {
  mcp::HttpOptions o;
  o.api_key = "s3cret-key";
  start(o);
  auto none = post(rpc(1, "initialize", init_params("2025-11-25")));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(post(rpc(1, "initialize", init_params("2025-11-25")), {{"Authorization", "Bearer s3cret-kez"}})->status, 401);
  EXPECT_EQ(post(rpc(1, "initialize", init_params("2025-11-25")), {{"Authorization", "Bearer s3cret-key"}})->status, 200);
  EXPECT_EQ(post(rpc(1, "initialize", init_params("2025-11-25")), {{"x-api-key", "s3cret-key"}})->status, 200);
  httplib::Client c("127.0.0.1", port);
  EXPECT_EQ(c.Delete("/mcp", {{"Mcp-Session-Id", "x"}})->status, 401);
  EXPECT_EQ(post(rpc(1, "initialize", init_params("2025-11-25")),
                 {{"Authorization", "Bearer s3cret-key"}, {"Origin", "http://evil.example"}})->status, 403);
}

}  // namespace
}  // namespace hearth::memory::test
