#include <gtest/gtest.h>

#include "helpers.h"
#include "memory/embed_settings.h"
#include "memory/sqlite_util.h"

#include <fstream>

using namespace hearth::memory;
using hearth::memory::test::TempStore;

TEST(MemoryRecord, TimeFormatRoundTrips) {
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00.000Z");
  int64_t t = parse_time("2026-11-24T11:40:02.123Z");
  EXPECT_EQ(format_time(t), "2026-11-24T11:40:02.123Z");
  EXPECT_EQ(parse_time("2026-11-24T12:40:02.123+01:00"), t);
  EXPECT_THROW(parse_time("yesterday"), hearth::Error);
  EXPECT_THROW(parse_time("2026-11-24T11:40:02"), hearth::Error);
}

TEST(MemoryRecord, ValidationNamesTheField) {
  hearth::json j = {{"id", "x"}, {"kind", "mood"}, {"text", "t"}, {"scope", "user"},
                    {"created", "2026-01-01T00:00:00.000Z"}, {"updated", "2026-01-01T00:00:00.000Z"}};
  try {
    record_from_json(j, "f.jsonl:3");
    FAIL();
  } catch (const hearth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("f.jsonl:3"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("mood"), std::string::npos);
  }
}

TEST(MemoryStore, AddGetListAndStats) {
  TempStore t;
  auto a = t.add("Prefers tea over coffee", "preference");
  auto b = t.add("Works on the hearth project", "fact", "project:hearth");
  ASSERT_TRUE(t.store->get(a.id));
  EXPECT_EQ(t.store->get(a.id)->text, "Prefers tea over coffee");
  EXPECT_EQ(t.store->list({}).size(), 2u);
  ListOptions lo;
  lo.scope = "project:hearth";
  auto l = t.store->list(lo);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].id, b.id);
  auto st = t.store->stats();
  EXPECT_EQ(st.live, 2u);
  EXPECT_EQ(st.vectors, 2u);
  EXPECT_EQ(st.schema_version, 1);
}

TEST(MemoryStore, RejectsBadInput) {
  TempStore t;
  EXPECT_THROW(t.add(""), hearth::Error);
  EXPECT_THROW(t.add("x", "mood"), hearth::Error);
  EXPECT_THROW(t.add("x", "fact", "galaxy"), hearth::Error);
  EXPECT_THROW(t.store->update("m_nope", {}, "test"), hearth::Error);
}

TEST(MemoryStore, EditKeepsHistoryAndUndoReverts) {
  TempStore t;
  auto a = t.add("Lives in Paris");
  RecordPatch p;
  p.text = "Lives in Berlin";
  auto e = t.store->update(a.id, p, "test");
  ASSERT_EQ(e.history.size(), 1u);
  EXPECT_EQ(e.history[0].text, "Lives in Paris");
  EXPECT_EQ(e.history[0].op, "update");
  EXPECT_EQ(t.store->undo().size(), 1u);
  EXPECT_EQ(t.store->get(a.id)->text, "Lives in Paris");
  EXPECT_TRUE(t.store->get(a.id)->history.empty());
  EXPECT_EQ(t.store->undo().size(), 1u);  // undoes the add
  EXPECT_FALSE(t.store->get(a.id));
  EXPECT_TRUE(t.store->undo().empty());
}

TEST(MemoryStore, ForgetIsATombstoneUntilPurge) {
  TempStore t;
  auto a = t.add("Allergic to peanuts");
  t.store->forget(a.id, "test");
  EXPECT_TRUE(t.store->get(a.id)->deleted);
  EXPECT_TRUE(t.store->list({}).empty());
  SearchOptions so;
  so.query = "peanuts";
  EXPECT_TRUE(t.store->search(so).empty());
  t.store->undo();
  EXPECT_FALSE(t.store->get(a.id)->deleted);
  EXPECT_EQ(t.store->search(so).size(), 1u);
  t.store->forget(a.id, "test");
  EXPECT_EQ(t.store->purge(), 1u);
  EXPECT_FALSE(t.store->get(a.id));
}

TEST(MemoryStore, UndoSaysWhatItDidToEachRecord) {
  TempStore t;
  auto a = t.add("Lives in Paris");
  RecordPatch p;
  p.text = "Lives in Berlin";
  t.store->update(a.id, p, "test");
  t.store->forget(a.id, "test");
  auto u = t.store->undo();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].id, a.id);
  EXPECT_EQ(u[0].action, "restored");
  EXPECT_EQ(u[0].text, "Lives in Berlin");
  u = t.store->undo();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].action, "reverted");
  EXPECT_EQ(u[0].text, "Lives in Paris");
  u = t.store->undo();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].action, "removed");
  EXPECT_EQ(u[0].text, "Lives in Paris");
  EXPECT_EQ(hearth::json(u[0]).dump(), R"({"action":"removed","id":")" + a.id + R"(","text":"Lives in Paris"})");
}

TEST(MemoryStore, UndoNeverReachesBackAcrossAPurge) {
  TempStore t;
  auto keep = t.add("Has a cat named Miso");
  auto gone = t.add("Old phone number 555-0100");
  t.store->forget(gone.id, "test");
  EXPECT_EQ(t.store->purge(), 1u);
  // The forget was made permanent; the add before it is not the user's last change to undo.
  EXPECT_TRUE(t.store->undo().empty());
  ASSERT_TRUE(t.store->get(keep.id));
  EXPECT_FALSE(t.store->get(keep.id)->deleted);
  EXPECT_EQ(t.store->stats().undo_steps, 0u);
  // New changes are undoable again; a purge with nothing to remove keeps them.
  auto next = t.add("Likes hiking");
  EXPECT_EQ(t.store->purge(), 0u);
  auto u = t.store->undo();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].id, next.id);
}

TEST(MemoryStore, OversizedMemoriesAreRefusedWithTheLimit) {
  TempStore t;
  EXPECT_EQ(t.store->max_memory_bytes(), kDefaultMaxMemoryBytes);
  EXPECT_NO_THROW(t.add(std::string(16 * 1024, 'a')));
  try {
    t.add(std::string(16 * 1024 + 1, 'b'));
    FAIL() << "an oversized memory was stored";
  } catch (const hearth::Error& e) {
    EXPECT_EQ(e.code(), hearth::Errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("16385 bytes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at most 16384"), std::string::npos) << e.what();
  }
  auto small = t.add("short");
  RecordPatch p;
  p.text = std::string(20000, 'c');
  EXPECT_THROW(t.store->update(small.id, p, "test"), hearth::Error);
  EXPECT_EQ(t.store->get(small.id)->text, "short");
  // Imports go through put(): refused too, naming the record.
  Record r = *t.store->get(small.id);
  r.id = "m_big";
  r.text = std::string(20000, 'd');
  try {
    t.store->put(r);
    FAIL();
  } catch (const hearth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("m_big"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.store->stats().live, 2u);
}

TEST(MemoryStore, MemoryLimitComesFromTheFoldersConfig) {
  TempStore t;
  t.store.reset();
  {
    std::ofstream(t.dir / "config.json") << R"({"max_memory_bytes": 10})";
  }
  t.store = std::make_unique<Store>(t.dir / "memory.db", &t.embedder);
  EXPECT_EQ(t.store->max_memory_bytes(), 10u);
  EXPECT_NO_THROW(t.add("ten bytes!"));
  EXPECT_THROW(t.add("eleven byte"), hearth::Error);
  t.store.reset();
  {
    std::ofstream(t.dir / "config.json") << R"({"max_memory_bytes": "big"})";
  }
  try {
    Store s(t.dir / "memory.db", &t.embedder);
    FAIL() << "a bad limit was accepted";
  } catch (const hearth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("max_memory_bytes"), std::string::npos) << e.what();
  }
}

TEST(MemoryStore, TwoConnectionsSeeEachOthersWrites) {
  TempStore t;
  HashEmbedder e;
  Store other(t.dir / "memory.db", &e);
  auto a = t.add("The cat is called Miso");
  SearchOptions so;
  so.query = "cat name";
  auto hits = other.search(so);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].record.id, a.id);
  auto b = other.add(Record{.text = "The dog is called Tofu"}, "test");
  so.query = "dog";
  auto h2 = t.store->search(so);
  ASSERT_FALSE(h2.empty());
  EXPECT_EQ(h2[0].record.id, b.id);
}

TEST(MemoryStore, WalAndFullSync) {
  TempStore t;
  Stmt j(t.store->handle(), "PRAGMA journal_mode");
  ASSERT_TRUE(j.step());
  EXPECT_EQ(j.text(0), "wal");
  Stmt s(t.store->handle(), "PRAGMA synchronous");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.i64(0), 2);  // FULL
}

TEST(MemoryStore, FormatForPrompt) {
  TempStore t;
  t.add("Prefers metric units", "preference");
  SearchOptions so;
  so.query = "units";
  auto text = format_for_prompt(t.store->search(so));
  EXPECT_NE(text.find("[preference] Prefers metric units"), std::string::npos);
  EXPECT_EQ(format_for_prompt({}), "");
}
