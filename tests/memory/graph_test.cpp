// The knowledge graph on the store (graph.h) and its records in bundle format version 2: the
// reference server's semantics, one undo step per operation, scopes kept apart, and records that
// round-trip through export and import while version 1 bundles still read.
#include <gtest/gtest.h>

#include "helpers.h"
#include "memory/bundle.h"
#include "memory/graph.h"

namespace {

using namespace hearth::memory;
using hearth::memory::test::TempStore;

TEST(KnowledgeGraph, FollowsTheReferenceServer) {
  TempStore t;
  KnowledgeGraph g(*t.store, "user", "test");
  auto made = g.create_entities({{"Ana", "person", {"Runs marathons", "Runs marathons", ""}}, {"Ana", "person", {}},
                                 {"Lisbon", "city", {}}});
  ASSERT_EQ(made.size(), 2u);  // the repeated name within the call is skipped too
  EXPECT_EQ(made[0].observations, std::vector<std::string>{"Runs marathons"});
  EXPECT_TRUE(g.create_entities({{"Ana", "robot", {"x"}}}).empty());
  EXPECT_EQ(g.create_relations({{"Ana", "Lisbon", "lives_in"}, {"Ana", "Lisbon", "lives_in"}}).size(), 1u);
  // Relations may name entities that do not exist yet, as the reference server allows.
  EXPECT_EQ(g.create_relations({{"Ana", "Porto", "visited"}}).size(), 1u);
  auto added = g.add_observations({{"Ana", {"Runs marathons", "Speaks Greek"}}});
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].second, std::vector<std::string>{"Speaks Greek"});
  try {
    g.add_observations({{"Ana", {"new"}}, {"Zed", {"x"}}});
    ADD_FAILURE() << "an unknown entity was accepted";
  } catch (const hearth::Error& e) {
    EXPECT_EQ(std::string(e.what()), "Entity with name Zed not found");
  }
  EXPECT_EQ(g.read().entities[0].observations.size(), 2u);  // the failed call added nothing
  EXPECT_THROW(g.create_entities({{"", "person", {}}}), hearth::Error);

  auto found = g.search("GREEK");
  ASSERT_EQ(found.entities.size(), 1u);
  EXPECT_TRUE(found.relations.empty());  // Lisbon is not in the result
  auto opened = g.open({"Ana", "Lisbon", "Nobody"});
  EXPECT_EQ(opened.entities.size(), 2u);
  ASSERT_EQ(opened.relations.size(), 1u);
  EXPECT_EQ(g.read().relations.size(), 2u);

  // Deleting an entity deletes its observations and relations, in one undo step.
  g.delete_entities({"Lisbon", "Nobody"});
  auto after = g.read();
  EXPECT_EQ(after.entities.size(), 1u);
  EXPECT_EQ(after.relations.size(), 1u);  // Ana visited Porto stays
  EXPECT_EQ(t.store->undo().size(), 2u);  // the entity and its relation
  EXPECT_EQ(g.read().relations.size(), 2u);
  g.delete_observations({{"Ana", {"Speaks Greek"}}});
  g.delete_relations({{"Ana", "Porto", "visited"}});
  after = g.read();
  EXPECT_EQ(after.entities[0].observations, std::vector<std::string>{"Runs marathons"});
  EXPECT_EQ(after.relations.size(), 1u);
  // A deleted entity created again starts fresh, after the others.
  g.delete_entities({"Ana"});
  g.create_entities({{"Ana", "athlete", {"Swims"}}});
  after = g.read();
  EXPECT_EQ(after.entities.back().name, "Ana");
  EXPECT_EQ(after.entities.back().type, "athlete");
  EXPECT_EQ(after.entities.back().observations, std::vector<std::string>{"Swims"});

  // Another scope is another graph.
  KnowledgeGraph work(*t.store, "project:acme", "test");
  EXPECT_TRUE(work.read().entities.empty());
  work.create_entities({{"Ana", "colleague", {}}});
  EXPECT_EQ(work.read().entities[0].type, "colleague");
  EXPECT_EQ(g.read().entities.back().type, "athlete");
  // Observations are memories: search finds them.
  SearchOptions so;
  so.query = "swims";
  auto hits = t.store->search(so);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].record.entity, "Ana");
}

TEST(KnowledgeGraph, RecordsRoundTripInBundleVersion2AndVersion1StillReads) {
  TempStore t;
  KnowledgeGraph g(*t.store, "user", "test");
  g.create_entities({{"Ana", "person", {"Likes figs"}}, {"Rui", "person", {}}});
  g.create_relations({{"Ana", "Rui", "knows"}});
  const std::string bytes = export_bundle(*t.store, {});
  EXPECT_EQ(bytes.rfind("{\"type\":\"header\",\"format\":\"hearth-memory\",\"version\":2,", 0), 0u) << bytes.substr(0, 80);
  EXPECT_NE(bytes.find("\"entity\":\"Ana\",\"entity_type\":\"person\""), std::string::npos);
  EXPECT_NE(bytes.find("\"relation\":{\"from\":\"Ana\",\"to\":\"Rui\",\"type\":\"knows\"}"), std::string::npos);
  TempStore other;
  ImportOptions io;
  import_bytes(*other.store, bytes, io);
  KnowledgeGraph g2(*other.store, "user", "test");
  EXPECT_EQ(graph_json(g2.read()), graph_json(g.read()));
  EXPECT_EQ(export_bundle(*other.store, {}), bytes);  // byte-identical re-export

  // A version 1 bundle (no graph fields) still reads; a newer version is refused by name.
  const std::string v1 =
      "{\"type\":\"header\",\"format\":\"hearth-memory\",\"version\":1,\"records\":1}\n"
      "{\"type\":\"record\",\"id\":\"m_1\",\"kind\":\"fact\",\"text\":\"Old fact\",\"scope\":\"user\","
      "\"created\":\"2026-01-01T00:00:00.000Z\",\"updated\":\"2026-01-01T00:00:00.000Z\"}\n";
  EXPECT_EQ(parse_bundle(v1, "v1.jsonl", nullptr).size(), 1u);
  std::string v3 = v1;
  v3.replace(v3.find("\"version\":1"), 11, "\"version\":3");
  try {
    parse_bundle(v3, "v3.jsonl", nullptr);
    ADD_FAILURE() << "version 3 read";
  } catch (const hearth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("versions 1 and 2"), std::string::npos) << e.what();
  }
}

TEST(KnowledgeGraph, MalformedGraphRecordsAreRefusedByField) {
  auto rec = [](const std::string& extra, const std::string& kind) {
    return hearth::json::parse("{\"id\":\"x\",\"kind\":\"" + kind +
                               "\",\"text\":\"t\",\"scope\":\"user\",\"created\":\"2026-01-01T00:00:00Z\","
                               "\"updated\":\"2026-01-01T00:00:00Z\"" + extra + "}");
  };
  auto error = [&](const std::string& extra, const std::string& kind) -> std::string {
    try {
      record_from_json(rec(extra, kind), "b.jsonl:2");
    } catch (const hearth::Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error("", "entity").find("needs \"entity\""), std::string::npos);
  EXPECT_NE(error(",\"entity\":\"A\"", "entity").find("entity_type"), std::string::npos);
  EXPECT_NE(error(",\"entity_type\":\"person\"", "fact").find("kind entity only"), std::string::npos);
  EXPECT_NE(error("", "relation").find("{from, to, type}"), std::string::npos);
  EXPECT_NE(error(",\"relation\":{\"from\":\"A\",\"to\":\"B\"}", "relation").find("\"type\""), std::string::npos);
  EXPECT_NE(error(",\"relation\":{\"from\":\"A\",\"to\":\"B\",\"type\":\"r\"}", "fact").find("kind relation only"),
            std::string::npos);
  EXPECT_NE(error(",\"relation\":[1]", "relation").find("must be an object"), std::string::npos);
  EXPECT_EQ(error(",\"entity\":\"A\"", "fact"), "");  // an observation
  EXPECT_EQ(error(",\"relation\":{\"from\":\"A\",\"to\":\"B\",\"type\":\"r\"}", "relation"), "");
  EXPECT_NE(error("", "entities").find("unknown kind"), std::string::npos);
}

}  // namespace
