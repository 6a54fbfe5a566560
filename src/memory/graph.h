// A knowledge graph on the memory store, with the semantics of the MCP reference memory server
// (entities with a type and observations, directed relations between entity names), so clients
// written for that server work unchanged against `hearth mcp`. Every part is a record
// (docs/memory-format.md, version 2): an entity is a record of kind "entity", each observation a
// "fact" naming its entity, each relation a record of kind "relation". Records of one scope form
// one graph; ids are stable (from scope and names), so recreating a deleted entity or importing
// the same graph twice replaces rather than duplicates. Every operation is one undo step, and the
// observations and relations are searchable and injected like any memory.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "memory/record.h"
#include "memory/store.h"

namespace hearth::memory {

struct GraphEntity {
  std::string name, type;
  std::vector<std::string> observations;
};

struct Graph {
  std::vector<GraphEntity> entities;
  std::vector<Relation> relations;
};

// The tag every graph record carries (so a scope's graph is one indexed listing).
inline constexpr const char* kGraphTag = "graph";

// The records of graph parts; `time` (ms) is their created/updated time, `by` their source.
Record entity_record(const std::string& scope, const std::string& name, const std::string& type, int64_t time,
                     const std::string& by);
Record observation_record(const std::string& scope, const std::string& entity, const std::string& text, int64_t time,
                          const std::string& by);
Record relation_record(const std::string& scope, const Relation& rel, int64_t time, const std::string& by);

class KnowledgeGraph {
 public:
  KnowledgeGraph(Store& store, std::string scope, std::string by);

  // Each returns what it changed, as the reference server does. Errors (an unknown entity for
  // add_observations, an empty name) throw Error(invalid_argument / not_found) and change nothing.
  std::vector<GraphEntity> create_entities(const std::vector<GraphEntity>& entities);  // skips existing names
  std::vector<Relation> create_relations(const std::vector<Relation>& relations);      // skips duplicates
  std::vector<std::pair<std::string, std::vector<std::string>>> add_observations(
      const std::vector<std::pair<std::string, std::vector<std::string>>>& additions);  // new ones only
  void delete_entities(const std::vector<std::string>& names);  // and every relation touching them
  void delete_observations(const std::vector<std::pair<std::string, std::vector<std::string>>>& deletions);
  void delete_relations(const std::vector<Relation>& relations);

  Graph read();
  // Entities whose name, type or an observation contains `query` (case-insensitive), with the
  // relations between them.
  Graph search(const std::string& query);
  // The named entities that exist, with the relations between them.
  Graph open(const std::vector<std::string>& names);

 private:
  struct Parts;  // the scope's live graph records
  Parts load();

  Store& store_;
  std::string scope_, by_;
};

// The reference server's JSON shapes.
json graph_json(const Graph& g);                  // {"entities": [...], "relations": [...]}
json entity_json(const GraphEntity& e);           // {"name", "entityType", "observations"}
json relation_json(const Relation& r);            // {"from", "to", "relationType"}
// Parse tool arguments; Error(invalid_argument) names the field.
std::vector<GraphEntity> entities_from_json(const json& args);
std::vector<Relation> relations_from_json(const json& args);
std::vector<std::pair<std::string, std::vector<std::string>>> observations_from_json(const json& args, const char* field,
                                                                                     const char* list_field);
std::vector<std::string> names_from_json(const json& args, const char* field);

}  // namespace hearth::memory
