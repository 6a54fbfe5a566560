#include <gtest/gtest.h>

#include "helpers.h"
#include "memory/bundle.h"
#include "memory/graph.h"
#include "memory/importers.h"
#include "memory/zip_member.h"
#include "core/utf8.h"

using namespace hearth::memory;
using hearth::memory::test::data_file;
using hearth::memory::test::TempStore;

namespace {
std::string slurp(const std::string& name) { return hearth::test::read_file(data_file(name)); }
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const hearth::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(MemoryImport, DetectsFormats) {
  EXPECT_EQ(detect_format(slurp("chatgpt_conversations.json"), "a"), "chatgpt");
  EXPECT_EQ(detect_format(slurp("claude_conversations.json"), "a"), "claude");
  EXPECT_EQ(detect_format(slurp("mcp_memory.jsonl"), "a"), "mcp-jsonl");
  EXPECT_EQ(detect_format(slurp("chat_log.jsonl"), "a"), "jsonl");
  EXPECT_THROW(detect_format("hello", "a"), hearth::Error);
}

TEST(MemoryImport, ChatGptFollowsTheCurrentBranch) {
  auto recs = import_chatgpt(slurp("chatgpt_conversations.json"), "conversations.json");
  ASSERT_EQ(recs.size(), 3u);  // system turn and the discarded regeneration are left out
  EXPECT_EQ(recs[0].text, "User: I'm vegetarian and I want to visit Lisbon in June.");
  EXPECT_EQ(recs[1].source.model, "gpt-4o");
  EXPECT_EQ(recs[1].kind, "episode");
  EXPECT_EQ(recs[0].source.conversation, "Trip planning [c0ffee00-1111-2222-3333-444455556666]");
  EXPECT_EQ(format_time(recs[0].created), "2024-05-01T08:00:01.000Z");
}

TEST(MemoryImport, ClaudeUsesTextOrContent) {
  auto recs = import_claude(slurp("claude_conversations.json"), "claude.json");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].text, "User: I always use uv instead of pip for my projects.");
  EXPECT_EQ(recs[1].text, "Assistant: Noted: uv handles lockfiles and virtual environments.");
  EXPECT_EQ(format_time(recs[1].created), "2025-02-10T09:00:05.000Z");
}

// The reference MCP memory server's file becomes the same graph `hearth mcp`'s graph tools keep
// (graph.h): read back entity by entity, relations intact, dated by the file or the import.
TEST(MemoryImport, McpGraphBecomesTheGraph) {
  auto recs = import_mcp_jsonl(slurp("mcp_memory.jsonl"), "memory.jsonl");
  ASSERT_EQ(recs.size(), 6u);  // 2 entities, 3 observations, 1 relation
  EXPECT_EQ(recs[0].kind, "entity");
  EXPECT_EQ(recs[0].entity_type, "person");
  EXPECT_EQ(recs[1].text, "Works as a nurse");
  EXPECT_EQ(recs[1].entity, "Alice");
  EXPECT_EQ(recs[5].kind, "relation");
  EXPECT_EQ(recs[5].text, "Alice works_at St. Mary Hospital");
  // No times in the file: dated by the import (not 1970), in the file's order.
  for (size_t i = 0; i < recs.size(); ++i) {
    EXPECT_GT(recs[i].created, now_ms() - 60000) << recs[i].text;
    if (i > 0) EXPECT_GT(recs[i].created, recs[i - 1].created);
  }
  auto dated = import_mcp_jsonl(R"({"type":"entity","name":"Bob","entityType":"person","observations":["Likes tea"],"createdAt":"2025-03-01T10:00:00Z"})",
                                "dated.jsonl");
  ASSERT_EQ(dated.size(), 2u);
  EXPECT_EQ(format_time(dated[0].created), "2025-03-01T10:00:00.000Z");
  EXPECT_EQ(format_time(dated[0].source.time), "2025-03-01T10:00:00.000Z");

  TempStore t;
  ImportOptions io;
  io.name = "memory.jsonl";
  auto rep = import_bytes(*t.store, slurp("mcp_memory.jsonl"), io);
  EXPECT_EQ(rep.format, "mcp-jsonl");
  EXPECT_EQ(rep.added, 6u);
  hearth::memory::KnowledgeGraph g(*t.store, "user", "test");
  const auto graph = g.read();
  ASSERT_EQ(graph.entities.size(), 2u);
  EXPECT_EQ(graph.entities[0].name, "Alice");
  EXPECT_EQ(graph.entities[0].observations, (std::vector<std::string>{"Works as a nurse", "Has a cat named Pixel"}));
  EXPECT_EQ(graph.entities[1].type, "organization");
  ASSERT_EQ(graph.relations.size(), 1u);
  EXPECT_EQ(graph.relations[0], (hearth::memory::Relation{"Alice", "St. Mary Hospital", "works_at"}));
  // Importing the same file again changes nothing.
  EXPECT_EQ(import_bytes(*t.store, slurp("mcp_memory.jsonl"), io).added, 0u);
  EXPECT_EQ(g.read().entities.size(), 2u);
}

// Two conversations with the same title (ChatGPT names every new one "New chat") stay apart.
TEST(MemoryImport, ConversationsWithTheSameTitleStayApart) {
  auto conv = [](const std::string& id, const std::string& text) {
    return hearth::json{{"title", "New chat"}, {"conversation_id", id}, {"current_node", "a"},
                        {"mapping", {{"a", {{"id", "a"}, {"parent", nullptr}, {"children", hearth::json::array()},
                                             {"message", {{"id", "a"}, {"author", {{"role", "user"}}},
                                                          {"create_time", 1714550400},
                                                          {"content", {{"content_type", "text"}, {"parts", {text}}}}}}}}}}};
  };
  const std::string text = hearth::json::array({conv("c-1", "I like tea"), conv("c-2", "I like coffee")}).dump();
  auto recs = import_chatgpt(text, "conversations.json");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_NE(recs[0].source.conversation, recs[1].source.conversation);
  EXPECT_EQ(recs[0].source.conversation, "New chat [c-1]");
  const std::string claude = hearth::json::array({{{"uuid", "u-1"}, {"name", "New chat"}, {"chat_messages", {{{"sender", "human"}, {"text", "a"}}}}},
                                                  {{"uuid", "u-2"}, {"name", "New chat"}, {"chat_messages", {{{"sender", "human"}, {"text", "b"}}}}}}).dump();
  auto crecs = import_claude(claude, "conversations.json");
  ASSERT_EQ(crecs.size(), 2u);
  EXPECT_NE(crecs[0].source.conversation, crecs[1].source.conversation);
}

TEST(MemoryImport, ChatLogAndSearchableEpisodes) {
  TempStore t;
  ImportOptions io;
  io.name = "chat_log.jsonl";
  auto rep = import_bytes(*t.store, slurp("chat_log.jsonl"), io);
  EXPECT_EQ(rep.format, "jsonl");
  EXPECT_EQ(rep.added, 2u);
  SearchOptions so;
  so.query = "daughter birthday";
  auto hits = t.store->search(so);
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0].record.text.find("March 3rd"), std::string::npos);
  // Re-importing is idempotent thanks to stable ids.
  EXPECT_EQ(import_bytes(*t.store, slurp("chat_log.jsonl"), io).skipped, 2u);
}

TEST(MemoryImport, ChatLogWithoutTimesKeepsItsOrder) {
  // Extraction reads a conversation's episodes in created order; with no times in the log that
  // order must still be the file's, not the (random) ids'.
  std::string log;
  for (int i = 0; i < 12; ++i)
    log += std::string("{\"role\":\"") + (i % 2 ? "assistant" : "user") + "\",\"content\":\"turn " + std::to_string(i) +
           "\",\"conversation\":\"c\"}\n";
  auto recs = import_chat_jsonl(log, "log.jsonl");
  ASSERT_EQ(recs.size(), 12u);
  for (size_t i = 1; i < recs.size(); ++i) EXPECT_LT(recs[i - 1].created, recs[i].created);
  EXPECT_EQ(recs[0].source.time, 0);  // the source time stays unknown
  TempStore t;
  ImportOptions io;
  io.name = "log.jsonl";
  import_bytes(*t.store, log, io);
  auto all = t.store->all_records(false);
  ASSERT_EQ(all.size(), 12u);
  for (size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(all[i].text, std::string(i % 2 ? "Assistant: " : "User: ") + "turn " + std::to_string(i));
}

TEST(MemoryImport, MessagesLongerThanAMemoryAreSplitNotRefused) {
  // A pasted document in a chat is longer than a memory may be (16 KiB): it is kept whole across
  // parts that fit, in order, and re-importing stays idempotent.
  std::string body;
  for (int i = 0; body.size() < 40000; ++i) body += "line " + std::to_string(i) + " of a pasted report with ümlauts\n";
  const std::string log = hearth::json{{"role", "user"}, {"content", body}, {"conversation", "c"}}.dump() + "\n" +
                          hearth::json{{"role", "assistant"}, {"content", "Thanks, noted."}, {"conversation", "c"}}.dump() + "\n";
  TempStore t;
  ImportOptions io;
  io.name = "log.jsonl";
  auto rep = import_bytes(*t.store, log, io);
  EXPECT_EQ(rep.added, 4u);  // 40 KB in three parts, and the reply
  auto all = t.store->all_records(false);
  ASSERT_EQ(all.size(), 4u);
  std::string joined;
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_LE(all[k].text.size(), t.store->max_memory_bytes());
    EXPECT_EQ(all[k].id, k == 0 ? all[0].id : all[0].id + "~" + std::to_string(k + 1));
    joined += all[k].text;
  }
  EXPECT_EQ(joined, "User: " + body);
  EXPECT_EQ(all[3].text, "Assistant: Thanks, noted.");
  EXPECT_EQ(import_bytes(*t.store, log, io).skipped, 4u);
  // Parts end at character boundaries even when no space is near.
  std::vector<Record> recs(1);
  recs[0].id = "x";
  recs[0].text = std::string(30, 'a') + std::string(40, '\xc3') ;
  for (size_t k = 30; k < recs[0].text.size(); k += 2) recs[0].text[k + 1] = '\xa9';  // "é" x 20
  split_oversized(recs, 9);
  std::string back;
  for (const auto& r : recs) {
    EXPECT_LE(r.text.size(), 9u);
    EXPECT_TRUE(hearth::utf8::valid(r.text)) << r.id;
    back += r.text;
  }
  EXPECT_EQ(back, std::string(30, 'a') + [] { std::string e; for (int k = 0; k < 20; ++k) e += "\xc3\xa9"; return e; }());
}

TEST(MemoryImport, MalformedFilesNameTheLine) {
  TempStore t;
  ImportOptions io;
  io.name = "bad_chat_log.jsonl";
  std::string err = error_of([&] { import_bytes(*t.store, slurp("bad_chat_log.jsonl"), io); });
  EXPECT_NE(err.find("bad_chat_log.jsonl:2"), std::string::npos) << err;
  io.name = "bad_mcp.jsonl";
  err = error_of([&] { import_bytes(*t.store, slurp("bad_mcp.jsonl"), io); });
  EXPECT_NE(err.find("bad_mcp.jsonl:2"), std::string::npos) << err;
  io.name = "broken.json";
  io.format = "chatgpt";
  err = error_of([&] { import_bytes(*t.store, "[\n{\"mapping\": {}},\n{oops}\n]", io); });
  EXPECT_NE(err.find("broken.json:3"), std::string::npos) << err;
  EXPECT_EQ(t.store->stats().live, 0u);
}

// The .zip exports as ChatGPT and Claude hand them out (conversations.json at the top or in a
// dated folder, beside other files) import like their conversations.json.
TEST(MemoryImport, ZipExportsAsDownloaded) {
  TempStore t;
  ImportOptions io;
  io.name = "chatgpt.zip";
  auto rep = import_bytes(*t.store, slurp("chatgpt_export.zip"), io);
  EXPECT_EQ(rep.format, "chatgpt");
  EXPECT_EQ(rep.added, 3u);
  io.name = "claude.zip";
  rep = import_bytes(*t.store, slurp("claude_export.zip"), io);
  EXPECT_EQ(rep.format, "claude");
  EXPECT_EQ(rep.added, 2u);
  // Importing the same export again adds nothing (stable ids).
  EXPECT_EQ(import_bytes(*t.store, slurp("claude_export.zip"), io).added, 0u);

  io.name = "other.zip";
  try {
    import_bytes(*t.store, slurp("no_conversations.zip"), io);
    FAIL();
  } catch (const hearth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("without conversations.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos) << e.what();
  }
  // Damaged: truncated in the middle, or the magic alone.
  std::string cut = slurp("chatgpt_export.zip");
  cut.resize(cut.size() / 2);
  EXPECT_THROW(import_bytes(*t.store, cut, io), hearth::Error);
  EXPECT_THROW(import_bytes(*t.store, std::string("PK\x03\x04", 4), io), hearth::Error);
  EXPECT_EQ(t.store->stats().live, 5u);
}

TEST(MemoryImport, ZipMemberStopsAtTheLimit) {
  // The limit applies to the inflated bytes: one byte short of the member's size is refused.
  const std::string zip = slurp("chatgpt_export.zip");
  ASSERT_TRUE(is_zip(zip));
  auto whole = zip_member(zip, "conversations.json", "z", 1 << 20);
  ASSERT_TRUE(whole);
  try {
    zip_member(zip, "conversations.json", "z", whole->size() - 1);
    FAIL();
  } catch (const hearth::Error& e) {
    EXPECT_EQ(e.code(), hearth::Errc::out_of_range);
    EXPECT_NE(std::string(e.what()).find("z: conversations.json inflates"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(zip_member(zip, "missing.json", "z", 1 << 20));
  EXPECT_EQ(zip_names(zip, "z").size(), 4u);
}

// Numbers no type can hold, or times past the year 9999, are a format error, not a crash.
TEST(MemoryImport, AbsurdNumbersAreRefusedOrIgnored) {
  const std::string huge(400, '9');
  EXPECT_THROW(import_chatgpt("[{\"title\": \"t\", \"create_time\": " + huge + ", \"mapping\": {}}]", "c.json"), hearth::Error);
  EXPECT_THROW(import_chat_jsonl("{\"role\": \"user\", \"content\": \"hi\", \"time\": 1e300}\n", "log.jsonl"), hearth::Error);
}
