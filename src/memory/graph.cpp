#include "memory/graph.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "core/error.h"

namespace hearth::memory {

namespace {

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

Record graph_record(const std::string& scope, int64_t time, const std::string& by) {
  Record r;
  r.scope = scope;
  r.created = r.updated = time;
  r.source.provider = by;
  r.tags = {kGraphTag};
  return r;
}

}  // namespace

Record entity_record(const std::string& scope, const std::string& name, const std::string& type, int64_t time,
                     const std::string& by) {
  Record r = graph_record(scope, time, by);
  r.id = stable_id("ent_", scope + "\n" + name);
  r.kind = "entity";
  r.text = name + " (" + type + ")";
  r.entity = name;
  r.entity_type = type;
  return r;
}

Record observation_record(const std::string& scope, const std::string& entity, const std::string& text, int64_t time,
                          const std::string& by) {
  Record r = graph_record(scope, time, by);
  r.id = stable_id("obs_", scope + "\n" + entity + "\n" + text);
  r.kind = "fact";
  r.text = text;
  r.entity = entity;
  return r;
}

Record relation_record(const std::string& scope, const Relation& rel, int64_t time, const std::string& by) {
  Record r = graph_record(scope, time, by);
  r.id = stable_id("rel_", scope + "\n" + rel.from + "\n" + rel.type + "\n" + rel.to);
  r.kind = "relation";
  r.text = rel.from + " " + rel.type + " " + rel.to;
  r.relation = rel;
  return r;
}

struct KnowledgeGraph::Parts {
  std::vector<std::string> order;                         // entity names, oldest first
  std::map<std::string, Record> entities;                 // name -> record
  std::map<std::string, std::vector<Record>> observations;  // entity name -> records, oldest first
  std::vector<Record> relations;                          // oldest first
  int64_t next_time = 0;  // a time after every part's, so new parts sort after old ones
  // Creation times for new parts: now, or later, one millisecond apart (the graph's order).
  int64_t stamp() { return next_time++; }
};

KnowledgeGraph::KnowledgeGraph(Store& store, std::string scope, std::string by)
    : store_(store), scope_(std::move(scope)), by_(std::move(by)) {
  if (!valid_scope(scope_)) fail(Errc::invalid_argument, "bad scope \"" + scope_ + "\" for the knowledge graph");
}

KnowledgeGraph::Parts KnowledgeGraph::load() {
  ListOptions o;
  o.scope = scope_;
  o.tags = {kGraphTag};
  o.limit = static_cast<size_t>(std::numeric_limits<int64_t>::max());
  std::vector<Record> recs = store_.list(o);
  std::sort(recs.begin(), recs.end(), [](const Record& a, const Record& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  Parts p;
  p.next_time = now_ms();
  for (const auto& r : recs) p.next_time = std::max(p.next_time, r.created + 1);
  for (auto& r : recs) {
    if (r.kind == "entity" && !r.entity.empty()) {
      p.order.push_back(r.entity);
      p.entities.emplace(r.entity, std::move(r));
    } else if (r.kind == "relation") {
      p.relations.push_back(std::move(r));
    } else if (!r.entity.empty()) {
      p.observations[r.entity].push_back(std::move(r));
    }
  }
  return p;
}

std::vector<GraphEntity> KnowledgeGraph::create_entities(const std::vector<GraphEntity>& in) {
  for (const auto& e : in)
    if (e.name.empty() || e.type.empty()) fail(Errc::invalid_argument, "an entity needs a name and an entityType");
  std::vector<GraphEntity> created;
  store_.batch([&] {
    Parts p = load();
    std::set<std::string> seen;
    for (const auto& e : in) {
      if (p.entities.count(e.name) || !seen.insert(e.name).second) continue;
      GraphEntity made{e.name, e.type, {}};
      store_.put(entity_record(scope_, e.name, e.type, p.stamp(), by_));
      std::set<std::string> obs;
      for (const auto& o : e.observations) {
        if (o.empty() || !obs.insert(o).second) continue;
        store_.put(observation_record(scope_, e.name, o, p.stamp(), by_));
        made.observations.push_back(o);
      }
      created.push_back(std::move(made));
    }
  });
  return created;
}

std::vector<Relation> KnowledgeGraph::create_relations(const std::vector<Relation>& in) {
  for (const auto& r : in)
    if (r.from.empty() || r.to.empty() || r.type.empty())
      fail(Errc::invalid_argument, "a relation needs from, to and relationType");
  std::vector<Relation> created;
  store_.batch([&] {
    Parts p = load();
    std::set<std::tuple<std::string, std::string, std::string>> have;
    for (const auto& r : p.relations) have.insert({r.relation.from, r.relation.to, r.relation.type});
    for (const auto& r : in) {
      if (!have.insert({r.from, r.to, r.type}).second) continue;
      store_.put(relation_record(scope_, r, p.stamp(), by_));
      created.push_back(r);
    }
  });
  return created;
}

std::vector<std::pair<std::string, std::vector<std::string>>> KnowledgeGraph::add_observations(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& in) {
  std::vector<std::pair<std::string, std::vector<std::string>>> added;
  store_.batch([&] {
    Parts p = load();
    for (const auto& [name, contents] : in)
      if (!p.entities.count(name)) fail(Errc::not_found, "Entity with name " + name + " not found");
    for (const auto& [name, contents] : in) {
      std::set<std::string> have;
      for (const auto& r : p.observations[name]) have.insert(r.text);
      std::vector<std::string> mine;
      for (const auto& c : contents) {
        if (c.empty() || !have.insert(c).second) continue;
        Record r = observation_record(scope_, name, c, p.stamp(), by_);
        store_.put(r);
        p.observations[name].push_back(r);
        mine.push_back(c);
      }
      added.push_back({name, std::move(mine)});
    }
  });
  return added;
}

namespace {
// A tombstone of `r`, as forget leaves one (undo brings it back).
void tombstone(Store& store, Record r) {
  r.deleted = true;
  r.updated = now_ms();
  store.put(r);
}
}  // namespace

void KnowledgeGraph::delete_entities(const std::vector<std::string>& names) {
  store_.batch([&] {
    Parts p = load();
    const std::set<std::string> gone(names.begin(), names.end());
    for (const auto& n : gone) {
      auto it = p.entities.find(n);
      if (it == p.entities.end()) continue;
      tombstone(store_, it->second);
      for (const auto& o : p.observations[n]) tombstone(store_, o);
    }
    for (const auto& r : p.relations)
      if (gone.count(r.relation.from) || gone.count(r.relation.to)) tombstone(store_, r);
  });
}

void KnowledgeGraph::delete_observations(const std::vector<std::pair<std::string, std::vector<std::string>>>& in) {
  store_.batch([&] {
    Parts p = load();
    for (const auto& [name, texts] : in) {
      const std::set<std::string> gone(texts.begin(), texts.end());
      for (const auto& o : p.observations[name])
        if (gone.count(o.text)) tombstone(store_, o);
    }
  });
}

void KnowledgeGraph::delete_relations(const std::vector<Relation>& in) {
  store_.batch([&] {
    Parts p = load();
    for (const auto& r : p.relations)
      if (std::find(in.begin(), in.end(), r.relation) != in.end()) tombstone(store_, r);
  });
}

namespace {

Graph assemble(const std::vector<std::string>& order, std::map<std::string, Record>& entities,
               std::map<std::string, std::vector<Record>>& observations, const std::vector<Record>& relations,
               const std::function<bool(const GraphEntity&)>& keep, bool every_relation = false) {
  Graph g;
  std::set<std::string> kept;
  for (const auto& name : order) {
    GraphEntity e{name, entities[name].entity_type, {}};
    for (const auto& o : observations[name]) e.observations.push_back(o.text);
    if (!keep(e)) continue;
    kept.insert(name);
    g.entities.push_back(std::move(e));
  }
  for (const auto& r : relations)
    if (every_relation || (kept.count(r.relation.from) && kept.count(r.relation.to))) g.relations.push_back(r.relation);
  return g;
}

}  // namespace

Graph KnowledgeGraph::read() {
  Parts p = load();
  // The whole graph keeps relations whatever their ends (the reference server stores them apart).
  return assemble(p.order, p.entities, p.observations, p.relations, [](const GraphEntity&) { return true; }, true);
}

Graph KnowledgeGraph::search(const std::string& query) {
  Parts p = load();
  const std::string q = lower_ascii(query);
  auto has = [&](const std::string& s) { return lower_ascii(s).find(q) != std::string::npos; };
  return assemble(p.order, p.entities, p.observations, p.relations, [&](const GraphEntity& e) {
    return has(e.name) || has(e.type) || std::any_of(e.observations.begin(), e.observations.end(), has);
  });
}

Graph KnowledgeGraph::open(const std::vector<std::string>& names) {
  Parts p = load();
  const std::set<std::string> want(names.begin(), names.end());
  return assemble(p.order, p.entities, p.observations, p.relations,
                  [&](const GraphEntity& e) { return want.count(e.name) > 0; });
}

json entity_json(const GraphEntity& e) {
  return {{"name", e.name}, {"entityType", e.type}, {"observations", e.observations}};
}

json relation_json(const Relation& r) { return {{"from", r.from}, {"to", r.to}, {"relationType", r.type}}; }

json graph_json(const Graph& g) {
  json es = json::array(), rs = json::array();
  for (const auto& e : g.entities) es.push_back(entity_json(e));
  for (const auto& r : g.relations) rs.push_back(relation_json(r));
  return {{"entities", es}, {"relations", rs}};
}

namespace {

[[noreturn]] void bad_arg(const std::string& msg) { fail(Errc::invalid_argument, msg); }

const json& array_field(const json& args, const char* field) {
  if (!args.is_object() || !args.contains(field)) bad_arg(std::string("missing required argument \"") + field + "\"");
  const json& v = args[field];
  if (!v.is_array()) bad_arg(std::string("argument \"") + field + "\" must be an array");
  return v;
}

std::string string_of(const json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_string())
    bad_arg(where + ": \"" + key + "\" must be a string");
  return obj[key].get<std::string>();
}

std::vector<std::string> strings_of(const json& v, const std::string& where) {
  if (!v.is_array()) bad_arg(where + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string()) bad_arg(where + " must be an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

std::vector<GraphEntity> entities_from_json(const json& args) {
  std::vector<GraphEntity> out;
  const json& a = array_field(args, "entities");
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string where = "entities[" + std::to_string(i) + "]";
    GraphEntity e{string_of(a[i], "name", where), string_of(a[i], "entityType", where), {}};
    if (a[i].contains("observations")) e.observations = strings_of(a[i]["observations"], where + ".observations");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Relation> relations_from_json(const json& args) {
  std::vector<Relation> out;
  const json& a = array_field(args, "relations");
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string where = "relations[" + std::to_string(i) + "]";
    out.push_back({string_of(a[i], "from", where), string_of(a[i], "to", where), string_of(a[i], "relationType", where)});
  }
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>> observations_from_json(const json& args, const char* field,
                                                                                     const char* list_field) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  const json& a = array_field(args, field);
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string where = std::string(field) + "[" + std::to_string(i) + "]";
    std::string name = string_of(a[i], "entityName", where);
    if (!a[i].contains(list_field)) bad_arg(where + ": missing \"" + list_field + "\"");
    out.push_back({std::move(name), strings_of(a[i][list_field], where + "." + list_field)});
  }
  return out;
}

std::vector<std::string> names_from_json(const json& args, const char* field) {
  return strings_of(array_field(args, field), std::string("argument \"") + field + "\"");
}

}  // namespace hearth::memory
