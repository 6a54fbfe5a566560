// hearth_bm25 must rank exactly as FTS5's bm25() (same formula, weights and IDFs), from cached
// row lengths or, for rows rewritten since loading, from FTS5 itself.
#include <gtest/gtest.h>

#include "helpers.h"
#include "memory/fts_rank.h"
#include "memory/sqlite_util.h"

namespace hearth::memory {
namespace {

using test::TempStore;

struct Row {
  int64_t rowid;
  double builtin, ours;
};

std::vector<Row> score(sqlite3* db, const std::vector<std::string>& terms, Bm25Query& q) {
  std::string match;
  q.idf.clear();
  Stmt n(db, "SELECT count(*) FROM memories_fts");
  n.step();
  int64_t rows = n.i64(0);
  for (const auto& t : terms) {
    match += (match.empty() ? "\"" : " OR \"") + t + "\"";
    Stmt c(db, "SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?1");
    c.bind(1, "\"" + t + "\"");
    c.step();
    q.idf.push_back(bm25_idf(rows, c.i64(0)));
  }
  Stmt s(db,
         "SELECT rowid, -bm25(memories_fts, 1.0, 0.5), hearth_bm25(memories_fts, ?2) FROM memories_fts "
         "WHERE memories_fts MATCH ?1");
  s.bind(1, match);
  sqlite3_bind_pointer(s.handle(), 2, &q, kBm25PointerType, nullptr);
  std::vector<Row> out;
  while (s.step()) out.push_back({s.i64(0), s.dbl(1), s.dbl(2)});
  return out;
}

TEST(FtsRank, MatchesBuiltinBm25) {
  TempStore t;
  const char* texts[] = {"the cat sat on the mat", "a dog and a cat", "running dogs run fast", "green tea every morning",
                         "tea with milk, never with sugar", "cat cat cat", "the longest memory of all about a cat and a dog "
                         "who both like green tea and running in the park every single morning"};
  for (int rep = 0; rep < 3; ++rep)
    for (auto* x : texts) t.add(x);
  Record tagged;
  tagged.text = "likes the park";
  tagged.tags = {"cat", "outdoors"};
  t.store->add(tagged, "test");
  sqlite3* db = t.store->handle();
  DocLengths L;
  L.load(db, "memories_fts_docsize", 0);
  EXPECT_EQ(L.rows, 22u);
  Bm25Query q;
  q.col_weight = {1.0, 0.5};
  q.lengths = &L;
  for (const auto& terms : std::vector<std::vector<std::string>>{{"cat"}, {"cat", "dog"}, {"tea", "running", "park"}}) {
    auto rows = score(db, terms, q);
    ASSERT_FALSE(rows.empty());
    for (const auto& r : rows) EXPECT_NEAR(r.ours, r.builtin, 1e-9 * std::max(1.0, r.builtin)) << "row " << r.rowid;
  }
  // A rewritten row's cached length is not trusted: FTS5 is asked instead.
  auto before = score(db, {"cat"}, q);
  L.len[before[0].rowid] = 1000;
  L.dirty.insert(before[0].rowid);
  auto after = score(db, {"cat"}, q);
  EXPECT_NEAR(after[0].ours, before[0].ours, 1e-12);
  L.dirty.clear();
  after = score(db, {"cat"}, q);
  EXPECT_LT(after[0].ours, before[0].ours);  // the (wrong) long length now lowers the score
}

TEST(FtsRank, RefusesAMissingParameter) {
  TempStore t;
  t.add("the cat sat");
  Stmt s(t.store->handle(), "SELECT hearth_bm25(memories_fts, 1) FROM memories_fts WHERE memories_fts MATCH 'cat'");
  EXPECT_THROW(s.step(), Error);
}

TEST(FtsRank, SearchStaysCorrectAcrossEdits) {
  TempStore t;
  auto a = t.add("Lives in Paris with a cat");
  t.add("Works in Berlin");
  SearchOptions o;
  o.query = "Paris";
  o.mode = SearchMode::bm25;
  ASSERT_EQ(t.store->search(o).size(), 1u);
  RecordPatch p;
  p.text = "Lives in Lisbon with a cat";
  t.store->update(a.id, p, "test");
  EXPECT_TRUE(t.store->search(o).empty());
  o.query = "Lisbon cat";
  auto hits = t.store->search(o);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].record.id, a.id);
  EXPECT_GT(hits[0].bm25, 0);
}

}  // namespace
}  // namespace hearth::memory
