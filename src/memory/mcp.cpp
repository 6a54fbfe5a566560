// MCP JSON-RPC handling: lifecycle (initialize / version negotiation / ping) and the memory tools.
#include "memory/mcp.h"

#include <algorithm>

#include "core/error.h"
#include "memory/graph.h"
#include "memory/reconcile.h"

namespace hearth::memory::mcp {

namespace {

// A protocol-level problem with the request (unknown tool, bad arguments): JSON-RPC error.
struct RpcError {
  int code;
  std::string message;
};

[[noreturn]] void bad_params(const std::string& msg) { throw RpcError{kInvalidParams, msg}; }

json record_json(const Record& r) { return json::parse(to_json(r).dump()); }

json hit_json(const SearchHit& h) {
  json j = record_json(h.record);
  j["score"] = h.score;
  j["scores"] = {{"bm25", h.bm25}, {"vector", h.vector}, {"recency", h.recency}, {"importance", h.importance}};
  j["why"] = h.why;
  return j;
}

// Typed argument access with messages that name the tool and the argument.
struct Args {
  const json& j;
  const std::string& tool;

  bool has(const char* k) const { return j.contains(k) && !j[k].is_null(); }
  std::string str(const char* k, bool required = false) const {
    if (!has(k)) {
      if (required) bad_params(tool + ": missing required argument \"" + k + "\"");
      return {};
    }
    if (!j[k].is_string()) bad_params(tool + ": argument \"" + k + "\" must be a string");
    return j[k].get<std::string>();
  }
  double num(const char* k, double lo, double hi, double dflt) const {
    if (!has(k)) return dflt;
    if (!j[k].is_number()) bad_params(tool + ": argument \"" + k + "\" must be a number");
    double v = j[k].get<double>();
    if (!(v >= lo && v <= hi))
      bad_params(tool + ": argument \"" + k + "\" must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return v;
  }
  std::vector<std::string> strs(const char* k) const {
    std::vector<std::string> out;
    if (!has(k)) return out;
    if (!j[k].is_array()) bad_params(tool + ": argument \"" + k + "\" must be an array of strings");
    for (const auto& v : j[k]) {
      if (!v.is_string()) bad_params(tool + ": argument \"" + k + "\" must be an array of strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
};

json schema(json props, std::vector<std::string> required = {}) {
  json s = {{"type", "object"}, {"properties", std::move(props)}};
  if (!required.empty()) s["required"] = required;
  return s;
}

const json kKind = {{"type", "string"},
                    {"enum", {"fact", "preference", "instruction", "task", "episode", "core"}},
                    {"description", "What sort of memory"}};
const json kScope = {{"type", "string"}, {"description", "user, private, agent:<name>, app:<name> or project:<name>"}};
const json kTags = {{"type", "array"}, {"items", {{"type", "string"}}}};
const json kId = {{"type", "string"}, {"description", "Memory id (m_...)"}};
const json kUnit = {{"type", "number"}, {"minimum", 0}, {"maximum", 1}};
const json kText = {{"type", "string"}};
const json kName = {{"type", "string"}, {"description", "Entity name"}};
const json kStrings = {{"type", "array"}, {"items", {{"type", "string"}}}};
const json kRelation = {{"type", "object"},
                        {"properties", {{"from", kName}, {"to", kName}, {"relationType", kText}}},
                        {"required", {"from", "to", "relationType"}}};

bool is_graph_tool(const std::string& name) {
  static const char* const kTools[] = {"create_entities",  "create_relations", "add_observations",
                                       "delete_entities",  "delete_observations", "delete_relations",
                                       "read_graph",       "search_nodes",     "open_nodes"};
  return std::find(std::begin(kTools), std::end(kTools), name) != std::end(kTools);
}

// The graph tools' results as the reference server words them: the created items or the graph as
// indented JSON, a sentence for deletions. (structuredContent carries the object.)
std::string graph_result_text(const std::string& name, const json& result) {
  if (result.contains("message")) return result["message"].get<std::string>();
  if (name == "create_entities") return result["entities"].dump(2, ' ', false, json::error_handler_t::replace);
  if (name == "create_relations") return result["relations"].dump(2, ' ', false, json::error_handler_t::replace);
  if (name == "add_observations") return result["results"].dump(2, ' ', false, json::error_handler_t::replace);
  return result.dump(2, ' ', false, json::error_handler_t::replace);
}

json run_graph_tool(KnowledgeGraph& g, const std::string& name, const json& a) {
  auto done = [](const char* what) { return json{{"success", true}, {"message", std::string(what) + " deleted successfully"}}; };
  if (name == "create_entities") {
    json out = json::array();
    for (const auto& e : g.create_entities(entities_from_json(a))) out.push_back(entity_json(e));
    return {{"entities", out}};
  }
  if (name == "create_relations") {
    json out = json::array();
    for (const auto& r : g.create_relations(relations_from_json(a))) out.push_back(relation_json(r));
    return {{"relations", out}};
  }
  if (name == "add_observations") {
    json out = json::array();
    for (const auto& [entity, added] : g.add_observations(observations_from_json(a, "observations", "contents")))
      out.push_back({{"entityName", entity}, {"addedObservations", added}});
    return {{"results", out}};
  }
  if (name == "delete_entities") {
    g.delete_entities(names_from_json(a, "entityNames"));
    return done("Entities");
  }
  if (name == "delete_observations") {
    g.delete_observations(observations_from_json(a, "deletions", "observations"));
    return done("Observations");
  }
  if (name == "delete_relations") {
    g.delete_relations(relations_from_json(a));
    return done("Relations");
  }
  if (name == "read_graph") return graph_json(g.read());
  if (name == "search_nodes") {
    if (!a.contains("query") || !a["query"].is_string()) fail(Errc::invalid_argument, "search_nodes: \"query\" must be a string");
    return graph_json(g.search(a["query"].get<std::string>()));
  }
  return graph_json(g.open(names_from_json(a, "names")));
}

struct ToolSpec {
  const char* name;
  const char* title;
  const char* description;
  json input;
  bool read_only, destructive;
};

const std::vector<ToolSpec>& tool_specs() {
  static const std::vector<ToolSpec> specs = {
      {"memory_add", "Remember", "Store a new memory about the user (a fact, preference, instruction, task or episode; kind core for who the user is and standing instructions, given in every chat).",
       schema({{"text", {{"type", "string"}, {"description", "What to remember, one self-contained statement"}}},
               {"kind", kKind}, {"scope", kScope}, {"tags", kTags}, {"importance", kUnit}, {"confidence", kUnit}},
              {"text"}),
       false, false},
      {"memory_search", "Recall", "Find memories relevant to a query (hybrid keyword + vector search).",
       schema({{"query", {{"type", "string"}}},
               {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}},
               {"mode", {{"type", "string"}, {"enum", {"hybrid", "bm25", "vector"}}}},
               {"scope", kScope}, {"kind", kKind}, {"tags", kTags}},
              {"query"}),
       true, false},
      {"memory_list", "List memories", "List memories, most recently updated first.",
       schema({{"scope", kScope}, {"kind", kKind}, {"tags", kTags},
               {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}},
               {"offset", {{"type", "integer"}, {"minimum", 0}}}}),
       true, false},
      {"memory_get", "Show memory", "Fetch one memory with its edit history.", schema({{"id", kId}}, {"id"}), true,
       false},
      {"memory_update", "Edit memory", "Change a memory; the previous text is kept in its history.",
       schema({{"id", kId}, {"text", {{"type", "string"}}}, {"kind", kKind}, {"scope", kScope}, {"tags", kTags},
               {"importance", kUnit}, {"confidence", kUnit}},
              {"id"}),
       false, true},
      {"memory_forget", "Forget memory", "Delete a memory (a tombstone: memory_undo restores it).",
       schema({{"id", kId}}, {"id"}), false, true},
      {"memory_undo", "Undo", "Revert the most recent change to the memory store (add, edit, forget or import).",
       schema(json::object()), false, true},
      // The MCP reference memory server's knowledge-graph tools, same names, arguments and
      // results (graph.h), so clients written for it work unchanged.
      {"create_entities", "Create entities",
       "Add entities (people, places, projects...) to the knowledge graph, each with a type and observations; names that exist are skipped.",
       schema({{"entities", {{"type", "array"}, {"items", schema({{"name", kName}, {"entityType", kText}, {"observations", kStrings}},
                                                                 {"name", "entityType", "observations"})}}}},
              {"entities"}),
       false, false},
      {"create_relations", "Create relations",
       "Add directed relations between entities, in active voice (from works_at to); existing ones are skipped.",
       schema({{"relations", {{"type", "array"}, {"items", kRelation}}}}, {"relations"}), false, false},
      {"add_observations", "Add observations", "Add observations to existing entities; returns the ones that were new.",
       schema({{"observations", {{"type", "array"},
                                 {"items", schema({{"entityName", kName}, {"contents", kStrings}}, {"entityName", "contents"})}}}},
              {"observations"}),
       false, false},
      {"delete_entities", "Delete entities", "Delete entities with their observations and every relation that touches them.",
       schema({{"entityNames", kStrings}}, {"entityNames"}), false, true},
      {"delete_observations", "Delete observations", "Delete given observations from entities.",
       schema({{"deletions", {{"type", "array"},
                              {"items", schema({{"entityName", kName}, {"observations", kStrings}}, {"entityName", "observations"})}}}},
              {"deletions"}),
       false, true},
      {"delete_relations", "Delete relations", "Delete given relations.",
       schema({{"relations", {{"type", "array"}, {"items", kRelation}}}}, {"relations"}), false, true},
      {"read_graph", "Read graph", "The whole knowledge graph: every entity with its observations, and every relation.",
       schema(json::object()), true, false},
      {"search_nodes", "Search graph",
       "Entities whose name, type or observations contain the query (ignoring case), with the relations between them.",
       schema({{"query", kText}}, {"query"}), true, false},
      {"open_nodes", "Open entities", "The named entities with their observations and the relations between them.",
       schema({{"names", kStrings}}, {"names"}), true, false},
  };
  return specs;
}

bool has_tool_annotations(const std::string& v) { return v >= "2025-03-26"; }
bool has_titles_and_structured(const std::string& v) { return v >= "2025-06-18"; }
// 2025-11-25 (SEP-1303): bad tool arguments are a tool result the model can read and correct,
// not a JSON-RPC error; an unknown tool stays a protocol error.
bool argument_errors_are_tool_errors(const std::string& v) { return v >= "2025-11-25"; }

}  // namespace

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> v = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
  return v;
}

bool is_supported_version(const std::string& v) {
  const auto& s = supported_versions();
  return std::find(s.begin(), s.end(), v) != s.end();
}

json error_response(const json& id, int code, const std::string& message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

std::string dump_message(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json Server::tools(const std::string& version) const {
  json list = json::array();
  for (const auto& t : tool_specs()) {
    json d = {{"name", t.name}, {"description", t.description}, {"inputSchema", t.input}};
    if (has_titles_and_structured(version)) d["title"] = t.title;
    if (has_tool_annotations(version))
      d["annotations"] = {{"readOnlyHint", t.read_only}, {"destructiveHint", t.destructive},
                          {"idempotentHint", t.read_only}, {"openWorldHint", false}};
    list.push_back(std::move(d));
  }
  return list;
}

json Server::initialize(const json& params, Session& session) {
  if (!params.is_object()) bad_params("initialize: params must be an object");
  if (!params.contains("protocolVersion") || !params["protocolVersion"].is_string())
    bad_params("initialize: params.protocolVersion must be a string");
  std::string asked = params["protocolVersion"].get<std::string>();
  // Negotiation: echo a revision we speak, otherwise offer our newest and let the client decide.
  session.protocol_version = is_supported_version(asked) ? asked : supported_versions().front();
  if (params.contains("clientInfo") && params["clientInfo"].is_object() && params["clientInfo"].contains("name") &&
      params["clientInfo"]["name"].is_string())
    session.client_name = params["clientInfo"]["name"].get<std::string>().substr(0, 64);
  return {{"protocolVersion", session.protocol_version},
          {"capabilities", {{"tools", {{"listChanged", false}}}}},
          {"serverInfo", {{"name", info_.name}, {"version", info_.version}}},
          {"instructions",
           "hearth's memory of the user. Search before answering questions about the user; add "
           "durable facts and preferences the user states; update rather than duplicate."}};
}

json Server::run_tool(const std::string& name, const json& aj, const Session& session) {
  Args a{aj, name};
  std::string by = session.client_name.empty() ? info_.by : info_.by + ":" + session.client_name;
  if (is_graph_tool(name)) {
    KnowledgeGraph g(store_, info_.graph_scope, by);
    return run_graph_tool(g, name, aj);
  }
  if (name == "memory_add") {
    Record r;
    r.text = a.str("text", true);
    if (r.text.empty()) bad_params("memory_add: \"text\" is empty");
    if (a.has("kind")) r.kind = a.str("kind");
    if (a.has("scope")) r.scope = a.str("scope");
    r.tags = a.strs("tags");
    r.importance = a.num("importance", 0, 1, r.importance);
    r.confidence = a.num("confidence", 0, 1, r.confidence);
    r.source.provider = by;
    const Remembered rem = remember(store_, r, by, remember_ ? remember_() : RememberOptions{});
    json out = reconcile_json(rem);
    out["memory"] = record_json(rem.record);
    return out;
  }
  if (name == "memory_search") {
    SearchOptions o;
    o.query = a.str("query", true);
    o.limit = static_cast<size_t>(a.num("limit", 1, 100, 10));
    if (a.has("mode")) o.mode = parse_search_mode(a.str("mode"));
    o.scope = a.str("scope");
    o.kind = a.str("kind");
    o.tags = a.strs("tags");
    json hits = json::array();
    for (const auto& h : store_.search(o)) hits.push_back(hit_json(h));
    return {{"hits", hits}};
  }
  if (name == "memory_list") {
    ListOptions o;
    o.scope = a.str("scope");
    o.kind = a.str("kind");
    o.tags = a.strs("tags");
    o.limit = static_cast<size_t>(a.num("limit", 1, 1000, 100));
    o.offset = static_cast<size_t>(a.num("offset", 0, 1e12, 0));
    json out = json::array();
    for (const auto& r : store_.list(o)) out.push_back(record_json(r));
    return {{"memories", out}};
  }
  if (name == "memory_get") {
    std::string id = a.str("id", true);
    auto r = store_.get(id);
    if (!r) fail(Errc::not_found, "no memory with id " + id);
    return {{"memory", record_json(*r)}};
  }
  if (name == "memory_update") {
    std::string id = a.str("id", true);
    RecordPatch p;
    if (a.has("text")) p.text = a.str("text");
    if (a.has("kind")) p.kind = a.str("kind");
    if (a.has("scope")) p.scope = a.str("scope");
    if (a.has("tags")) p.tags = a.strs("tags");
    if (a.has("importance")) p.importance = a.num("importance", 0, 1, 0);
    if (a.has("confidence")) p.confidence = a.num("confidence", 0, 1, 0);
    return {{"memory", record_json(store_.update(id, p, by))}};
  }
  if (name == "memory_forget") {
    std::string id = a.str("id", true);
    return {{"memory", record_json(store_.forget(id, by))}};
  }
  if (name == "memory_undo") {
    const auto done = store_.undo();
    return {{"reverted", ids_of(done)}, {"changes", done}};
  }
  // call_tool refuses names without a spec, so only a spec without a handler gets here.
  fail(Errc::internal, "tool \"" + name + "\" is listed but has no handler");
}

json Server::call_tool(const json& params, const Session& session) {
  if (!params.is_object() || !params.contains("name") || !params["name"].is_string())
    bad_params("tools/call: params.name must be a string");
  std::string name = params["name"].get<std::string>();
  json args = params.contains("arguments") && !params["arguments"].is_null() ? params["arguments"] : json::object();
  if (!args.is_object()) bad_params("tools/call: params.arguments must be an object");
  const auto& specs = tool_specs();
  if (std::none_of(specs.begin(), specs.end(), [&](const auto& t) { return t.name == name; }))
    bad_params("unknown tool \"" + name + "\"");
  json result;
  try {
    result = run_tool(name, args, session);
  } catch (const RpcError& e) {
    if (!argument_errors_are_tool_errors(session.protocol_version)) throw;
    return {{"content", {{{"type", "text"}, {"text", e.message}}}}, {"isError", true}};
  } catch (const Error& e) {
    // The store refused (unknown id, invalid kind or scope, ...): a tool error the model can read.
    return {{"content", {{{"type", "text"}, {"text", e.what()}}}}, {"isError", true}};
  }
  const std::string text = is_graph_tool(name) ? graph_result_text(name, result) : dump_message(result);
  json out = {{"content", {{{"type", "text"}, {"text", text}}}}, {"isError", false}};
  if (has_titles_and_structured(session.protocol_version)) out["structuredContent"] = result;
  return out;
}

json Server::handle_one(const json& msg, Session& session, bool* is_notification) {
  *is_notification = false;
  json id = nullptr;
  if (!msg.is_object()) return error_response(nullptr, kInvalidRequest, "a JSON-RPC message must be an object");
  if (msg.contains("id")) {
    id = msg["id"];
    if (!id.is_string() && !id.is_number_integer())
      return error_response(nullptr, kInvalidRequest, "\"id\" must be a string or an integer");
  }
  if (!msg.contains("jsonrpc") || msg["jsonrpc"] != "2.0")
    return error_response(id, kInvalidRequest, "\"jsonrpc\" must be \"2.0\"");
  if (!msg.contains("method")) {
    // A response to a server request; this server sends none, so there is nothing to match.
    if (msg.contains("result") || msg.contains("error")) {
      *is_notification = true;
      return nullptr;
    }
    return error_response(id, kInvalidRequest, "missing \"method\"");
  }
  if (!msg["method"].is_string()) return error_response(id, kInvalidRequest, "\"method\" must be a string");
  std::string method = msg["method"].get<std::string>();
  json params = msg.contains("params") ? msg["params"] : json::object();
  if (!params.is_object() && !params.is_array())
    return error_response(id, kInvalidRequest, "\"params\" must be an object or an array");
  if (!msg.contains("id")) {
    *is_notification = true;
    if (method == "notifications/initialized" && !session.protocol_version.empty()) session.initialized = true;
    return nullptr;  // notifications/cancelled and others need no answer
  }
  try {
    json result;
    if (method == "initialize") {
      if (!session.protocol_version.empty())
        return error_response(id, kInvalidRequest, "initialize was already called on this session");
      result = initialize(params, session);
    } else if (method == "ping") {
      result = json::object();
    } else if (session.protocol_version.empty()) {
      return error_response(id, kInvalidRequest, "the session is not initialized: send initialize first");
    } else if (method == "tools/list") {
      result = {{"tools", tools(session.protocol_version)}};
    } else if (method == "tools/call") {
      result = call_tool(params, session);
    } else {
      return error_response(id, kMethodNotFound, "method \"" + method + "\" not found");
    }
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
  } catch (const RpcError& e) {
    return error_response(id, e.code, e.message);
  } catch (const Error& e) {
    return error_response(id, kInvalidParams, e.what());
  } catch (const std::exception& e) {
    return error_response(id, kInternalError, std::string("internal error: ") + e.what());
  }
}

std::optional<json> Server::handle(const json& message, Session& session) {
  bool note = false;
  if (!message.is_array()) {
    json r = handle_one(message, session, &note);
    if (note) return std::nullopt;
    return r;
  }
  // Batches exist only in 2025-03-26 (2025-06-18 removed them; 2024-11-05 servers need not
  // accept them), and never for initialize, which must come alone.
  if (session.protocol_version != "2025-03-26")
    return error_response(nullptr, kInvalidRequest, "JSON-RPC batches are not supported in this protocol revision");
  if (message.empty()) return error_response(nullptr, kInvalidRequest, "empty batch");
  json out = json::array();
  for (const auto& m : message) {
    json r = handle_one(m, session, &note);
    if (!note) out.push_back(std::move(r));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<json> Server::handle_text(const std::string& text, Session& session) {
  json msg;
  try {
    msg = json::parse(text);
  } catch (const json::exception& e) {
    return error_response(nullptr, kParseError, std::string("parse error: ") + e.what());
  }
  return handle(msg, session);
}

}  // namespace hearth::memory::mcp
