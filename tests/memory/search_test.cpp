#include <gtest/gtest.h>

#include "helpers.h"

using namespace hearth::memory;
using hearth::memory::test::TempStore;

namespace {
void fill(TempStore& t) {
  t.add("The user is allergic to peanuts and shellfish");
  t.add("Prefers dark roast coffee in the morning", "preference");
  t.add("Their sister Anna lives in Vienna");
  t.add("Deploys the website with GitHub Actions", "fact", "project:site");
  t.add("Wants to learn the Spanish language this year", "task");
}
SearchOptions q(const std::string& text, SearchMode m) {
  SearchOptions o;
  o.query = text;
  o.mode = m;
  return o;
}
}  // namespace

TEST(MemorySearch, EachModeFindsTheRightRecord) {
  TempStore t;
  fill(t);
  for (auto m : {SearchMode::bm25, SearchMode::vector, SearchMode::hybrid}) {
    auto hits = t.store->search(q("peanut allergy", m));
    ASSERT_FALSE(hits.empty()) << int(m);
    EXPECT_NE(hits[0].record.text.find("peanuts"), std::string::npos) << int(m);
    EXPECT_FALSE(hits[0].why.empty());
  }
  auto hits = t.store->search(q("where does Anna live", SearchMode::hybrid));
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0].record.text.find("Vienna"), std::string::npos);
  EXPECT_GT(hits[0].bm25, 0);
  EXPECT_GT(hits[0].vector, 0);
  EXPECT_NE(hits[0].why[0].find("\"anna\""), std::string::npos);
}

TEST(MemorySearch, FiltersAndOddQueries) {
  TempStore t;
  fill(t);
  auto o = q("website", SearchMode::hybrid);
  o.scope = "user";
  for (auto& h : t.store->search(o)) EXPECT_EQ(h.record.scope, "user");
  o.scope = "project:site";
  ASSERT_EQ(t.store->search(o).size(), 1u);
  // FTS syntax characters in user text are harmless.
  EXPECT_NO_THROW(t.store->search(q("\"AND OR NOT ( * :", SearchMode::bm25)));
  EXPECT_TRUE(t.store->search(q("", SearchMode::bm25)).empty());
}

namespace {
struct CountingEmbedder : Embedder {
  std::string id;
  size_t calls = 0;
  HashEmbedder inner;
  std::string name() const override { return id; }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override {
    calls += texts.size();
    return inner.embed(texts);
  }
};
}  // namespace

TEST(MemorySearch, ReembedsWhenTheEmbedderChanges) {
  TempStore t;
  fill(t);
  CountingEmbedder other;
  other.id = "other-model";
  Store s(t.dir / "memory.db", &other);
  auto hits = s.search(q("coffee", SearchMode::vector));
  ASSERT_FALSE(hits.empty());
  EXPECT_GE(other.calls, 5u);  // every record was re-embedded with the new model
  EXPECT_EQ(s.stats().vectors, 5u);
  EXPECT_NE(hits[0].why.back().find("other-model"), std::string::npos);
}

// The relevance floor: a memory sharing no word with the query and below the cosine floor does
// not come back just because it is recent or important; without the floor (-1) it does.
TEST(MemorySearch, UnrelatedMemoriesStayBelowTheRelevanceFloor) {
  TempStore t;
  fill(t);
  Record r;
  r.text = "Quarterly tax forms are due";
  r.importance = 1.0;
  t.store->add(r, "test");
  for (auto m : {SearchMode::hybrid}) {
    auto o = q("peanut allergy", m);
    for (const auto& h : t.store->search(o)) {
      EXPECT_EQ(h.record.text.find("tax"), std::string::npos) << int(m) << " " << h.vector;
      EXPECT_TRUE(h.bm25 > 0 || h.vector >= kDefaultMinSimilarity) << h.record.text;
    }
    o.min_similarity = -1;
    bool found = false;
    for (const auto& h : t.store->search(o)) found = found || h.record.text.find("tax") != std::string::npos;
    EXPECT_TRUE(found) << int(m);
  }
  // A query matching nothing at all gives nothing, not the newest memories.
  EXPECT_TRUE(t.store->search(q("zeppelin xylophone", SearchMode::hybrid)).empty());
}
