// Responses API pieces without HTTP: input items become the canonical conversation, and the store
// keeps conversations per key, for the retention period only, and never reads outside its folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "router/response_store.h"
#include "router/wire_responses.h"

namespace {

using namespace hearth::router;
using hearth::json;
namespace fs = std::filesystem;

TEST(ResponsesWire, InputItemsBecomeTheConversation) {
  const auto q = responses::parse_request(json::parse(R"({"model":"m","instructions":"Be brief.","input":[
      {"role":"developer","content":"rules"},
      {"role":"user","content":[{"type":"input_text","text":"weather "},{"type":"input_text","text":"in Oslo?"}]},
      {"type":"reasoning","summary":[{"type":"summary_text","text":"need a tool"}]},
      {"type":"function_call","call_id":"c1","name":"weather","arguments":"{\"city\":\"Oslo\"}"},
      {"type":"function_call_output","call_id":"c1","output":"snow"}],
      "max_output_tokens":9,"store":false,"reasoning":{"effort":"none"},"parallel_tool_calls":false})"));
  ASSERT_EQ(q.input.size(), 4u);
  EXPECT_EQ(q.input[0].role, Role::system);
  EXPECT_EQ(q.input[1].content, "weather in Oslo?");
  EXPECT_EQ(q.input[2].role, Role::assistant);
  EXPECT_EQ(q.input[2].reasoning, "need a tool");
  ASSERT_EQ(q.input[2].tool_calls.size(), 1u);
  EXPECT_EQ(q.input[2].tool_calls[0].id, "c1");
  EXPECT_EQ(q.input[3].role, Role::tool);
  EXPECT_EQ(q.input[3].name, "weather");
  EXPECT_EQ(q.instructions, "Be brief.");
  EXPECT_FALSE(q.store);
  EXPECT_EQ(q.chat.max_tokens, 9);
  EXPECT_EQ(q.chat.thinking, false);
  EXPECT_EQ(q.chat.parallel_tool_calls, false);
}

TEST(ResponsesWire, BadFieldsAreNamed) {
  auto param_of = [](const char* body) {
    try {
      (void)responses::parse_request(json::parse(body));
    } catch (const ProviderError& e) {
      return e.param();
    }
    return std::string("accepted");
  };
  EXPECT_EQ(param_of(R"({"model":"m"})"), "input");
  EXPECT_EQ(param_of(R"({"model":"m","input":42})"), "input");
  EXPECT_EQ(param_of(R"({"model":"m","input":[{"type":"function_call_output"}]})"), "input[0].call_id");
  EXPECT_EQ(param_of(R"({"model":"m","input":"x","tools":[{"type":"file_search"}]})"), "tools[0].type");
  EXPECT_EQ(param_of(R"({"model":"m","input":"x","max_output_tokens":0})"), "max_output_tokens");
  EXPECT_EQ(param_of(R"({"model":"m","input":"x","tool_choice":{"type":"mcp"}})"), "tool_choice");
  EXPECT_EQ(param_of(R"({"model":"m","input":"x","text":{"format":{"type":"json_schema","schema":{},"strict":"yes"}}})"),
            "text.format.strict");
}

TEST(ResponseStore, KeepsPerKeyForTheRetentionPeriod) {
  const fs::path dir = fs::temp_directory_path() / ("hearth-responses-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ResponseStore store(dir, std::chrono::hours(1));
  StoredResponse r{json{{"id", "resp_abc"}}, {{Role::user, "hi"}, {Role::assistant, "hello"}}, "alice"};
  r.messages[1].tool_calls.push_back({"c1", "f", "{}"});
  store.save("resp_abc", r);
  auto got = store.load("resp_abc", "alice");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->messages.size(), 2u);
  EXPECT_EQ(got->messages[1].tool_calls[0].name, "f");
  EXPECT_FALSE(store.load("resp_abc", "bob")) << "another key must not see it";
  EXPECT_FALSE(store.remove("resp_abc", "bob"));
  EXPECT_FALSE(store.load("../etc/passwd", "alice"));
  EXPECT_FALSE(ResponseStore::valid_id("resp_../x"));
  // Expired: written longer ago than the retention.
  fs::last_write_time(dir / "resp_abc.json", fs::file_time_type::clock::now() - std::chrono::hours(2));
  EXPECT_FALSE(store.load("resp_abc", "alice"));
  // A damaged file is ignored, not a crash.
  std::ofstream(dir / "resp_bad.json") << "{not json";
  EXPECT_FALSE(store.load("resp_bad", ""));
  // Retention 0 stores nothing.
  ResponseStore off(dir / "off", std::chrono::seconds(0));
  off.save("resp_x", r);
  EXPECT_FALSE(fs::exists(dir / "off"));
  fs::remove_all(dir);
}

}  // namespace
