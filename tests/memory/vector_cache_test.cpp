// The vector cache is updated row by row after this process's writes and reloaded when another
// connection commits; either way vector search must match a store opened from scratch.
#include <gtest/gtest.h>

#include <cmath>

#include "helpers.h"
#include "memory/vector_cache.h"

using namespace hearth::memory;
using hearth::memory::test::TempStore;

namespace {

SearchOptions vq(const std::string& text) {
  SearchOptions o;
  o.query = text;
  o.mode = SearchMode::vector;
  o.limit = 20;
  return o;
}

std::vector<std::pair<std::string, long>> ranking(Store& s, const std::string& query) {
  std::vector<std::pair<std::string, long>> out;
  for (auto& h : s.search(vq(query))) out.emplace_back(h.record.id, std::lround(h.vector * 1e5));
  return out;
}

const char* kQueries[] = {"coffee in the morning", "sister in Vienna", "peanut allergy", "learn Spanish",
                          "deploy the website", "cat named Miso"};

// The long-lived store and a freshly opened one rank every query identically.
void expect_same_as_fresh(TempStore& t, const std::string& when) {
  HashEmbedder e;
  Store fresh(t.dir / "memory.db", &e);
  for (const char* q : kQueries) EXPECT_EQ(ranking(*t.store, q), ranking(fresh, q)) << when << ": " << q;
}

bool has(Store& s, const std::string& query, const std::string& id) {
  for (auto& h : s.search(vq(query)))
    if (h.record.id == id) return true;
  return false;
}

}  // namespace

TEST(MemoryVectorCache, StaysConsistentAcrossAddEditForgetUndoPurge) {
  TempStore t;
  auto coffee = t.add("Prefers dark roast coffee in the morning", "preference");
  auto anna = t.add("Their sister Anna lives in Vienna");
  t.add("The user is allergic to peanuts");
  ranking(*t.store, "warm");  // loads the cache; everything below is incremental
  expect_same_as_fresh(t, "initial");

  auto cat = t.add("Has a cat named Miso");
  EXPECT_TRUE(has(*t.store, "cat named Miso", cat.id));
  expect_same_as_fresh(t, "after add");

  RecordPatch p;
  p.text = "Prefers green tea in the morning";
  t.store->update(coffee.id, p, "test");
  auto top = t.store->search(vq("green tea"));
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0].record.id, coffee.id);
  expect_same_as_fresh(t, "after edit");

  t.store->forget(anna.id, "test");
  EXPECT_FALSE(has(*t.store, "sister in Vienna", anna.id));
  expect_same_as_fresh(t, "after forget");

  ASSERT_EQ(ids_of(t.store->undo()), std::vector<std::string>{anna.id});
  EXPECT_TRUE(has(*t.store, "sister in Vienna", anna.id));
  expect_same_as_fresh(t, "after undoing the forget");

  t.store->undo();  // the edit: the coffee text and its vector come back
  top = t.store->search(vq("dark roast coffee"));
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0].record.id, coffee.id);
  expect_same_as_fresh(t, "after undoing the edit");

  t.store->forget(cat.id, "test");
  EXPECT_EQ(t.store->purge(), 1u);
  EXPECT_FALSE(has(*t.store, "cat named Miso", cat.id));
  expect_same_as_fresh(t, "after purge");

  // A batch whose body throws leaves the cache as it was.
  EXPECT_THROW(t.store->batch([&] {
    Record r;
    r.id = "rolled-back";
    r.kind = "fact";
    r.text = "Never committed: a cat named Miso";
    t.store->put(r);
    throw std::runtime_error("abort the batch");
  }),
               std::runtime_error);
  EXPECT_FALSE(has(*t.store, "cat named Miso", "rolled-back"));
  expect_same_as_fresh(t, "after a rolled-back batch");
}

TEST(MemoryVectorCache, SeesWritesFromAnotherConnection) {
  TempStore t;
  auto a = t.add("Prefers dark roast coffee in the morning", "preference");
  ranking(*t.store, "warm");
  // A second connection stands in for another process (the CLI next to the server).
  HashEmbedder e;
  Store other(t.dir / "memory.db", &e);
  Record r;
  r.text = "Has a cat named Miso";
  r.kind = "fact";
  auto cat = other.add(r, "other");
  EXPECT_TRUE(has(*t.store, "cat named Miso", cat.id));
  other.forget(a.id, "other");
  EXPECT_FALSE(has(*t.store, "dark roast coffee", a.id));
  other.undo();
  EXPECT_TRUE(has(*t.store, "dark roast coffee", a.id));
  // Records added without a vector (import path) are embedded before the next search.
  other.batch([&] {
    Record x;
    x.id = "imported";
    x.kind = "fact";
    x.text = "Plays the cello on weekends";
    other.put(x, false);
  });
  EXPECT_TRUE(has(*t.store, "plays the cello", "imported"));
  expect_same_as_fresh(t, "after another connection wrote");
}

TEST(MemoryVectorCache, RowsAreReplacedAndRemovedInPlace) {
  Store::VectorCache c;
  float a[4] = {1, 0, 0, 0}, b[4] = {0, 1, 0, 0}, d[4] = {0, 0, 0.5f, -0.5f}, wrong[3] = {1, 1, 1};
  ASSERT_TRUE(c.upsert("a", "user", "fact", 0, a, 4));
  ASSERT_TRUE(c.upsert("b", "user", "fact", 0, b, 4));
  ASSERT_TRUE(c.upsert("d", "user", "task", 7, d, 4));
  EXPECT_FALSE(c.upsert("x", "user", "fact", 0, wrong, 3));  // another dimension
  EXPECT_EQ(c.size(), 3u);
  ASSERT_TRUE(c.upsert("a", "project", "fact", 0, b, 4));  // replace keeps one row
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.scope[c.pos.at("a")], "project");
  EXPECT_EQ(c.data[c.pos.at("a") * 4 + 1], 1.0f);
  c.remove("a");  // the last row moves into the gap
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.pos.count("a"), 0u);
  size_t row = c.pos.at("d");
  EXPECT_EQ(c.ids[row], "d");
  EXPECT_EQ(c.kind[row], "task");
  EXPECT_EQ(c.expires[row], 7);
  EXPECT_EQ(c.data[row * 4 + 2], 0.5f);
  EXPECT_EQ(c.q8[row * 4 + 3], -127);
  c.remove("missing");
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.data.size(), 8u);
  EXPECT_EQ(c.q8.size(), 8u);
}

TEST(MemoryVectorCache, Int8ScanTracksTheFloatDotProduct) {
  const size_t dim = 37;  // not a multiple of the vector width
  std::vector<float> rows(3 * dim), q(dim);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = std::sin(0.37 * double(i));
  for (size_t i = 0; i < dim; ++i) q[i] = std::cos(0.11 * double(i));
  float exact[3];
  dot_rows(rows.data(), 3, dim, q.data(), exact);
  std::vector<int8_t> r8(rows.size()), q8(dim);
  float scales[3];
  for (size_t r = 0; r < 3; ++r) scales[r] = quantize_row(rows.data() + r * dim, dim, r8.data() + r * dim);
  float qs = quantize_row(q.data(), dim, q8.data());
  int32_t raw[3];
  dot_rows_i8(r8.data(), 3, dim, q8.data(), raw);
  for (size_t r = 0; r < 3; ++r) {
    double ref = 0;
    for (size_t i = 0; i < dim; ++i) ref += double(rows[r * dim + i]) * q[i];
    EXPECT_NEAR(exact[r], ref, 1e-4);
    EXPECT_NEAR(float(raw[r]) * scales[r] * qs, ref, 0.2);
  }
  int8_t z[4];
  float zero[4] = {0, 0, 0, 0};
  EXPECT_EQ(quantize_row(zero, 4, z), 0.0f);
  EXPECT_EQ(z[0], 0);
}
