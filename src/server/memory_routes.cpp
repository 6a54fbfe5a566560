#include "server/memory_routes.h"

#include <httplib.h>

#include <cstdlib>

#include "core/error.h"
#include "core/json.h"
#include "memory/reconcile.h"
#include "server/json_reply.h"

namespace hearth::server {

using namespace memory;

namespace {

void send_error(httplib::Response& res, Errc code, const std::string& message) {
  int status = code == Errc::not_found ? 404 : (code == Errc::invalid_argument || code == Errc::format) ? 400 : 500;
  send_ordered(res, status, {{"error", {{"message", message}, {"type", errc_name(code)}}}});
}

using Authorize = std::function<bool(const httplib::Request&)>;

// Runs a handler after the authorization check, turning hearth errors into JSON error replies.
template <class F>
httplib::Server::Handler guarded(const Authorize& auth, F f) {
  return [auth, f](const httplib::Request& req, httplib::Response& res) {
    if (auth && !auth(req)) {
      send_ordered(res, 401, {{"error", {{"message", "missing or unknown API key"}, {"type", "auth"}}}});
      return;
    }
    try {
      f(req, res);
    } catch (const Error& e) {
      send_error(res, e.code(), e.what());
    } catch (const json::exception& e) {
      send_error(res, Errc::invalid_argument, std::string("bad request: ") + e.what());
    } catch (const std::exception& e) {
      send_error(res, Errc::internal, e.what());
    }
  };
}

size_t size_param(const httplib::Request& req, const char* name, size_t dflt, size_t max) {
  if (!req.has_param(name)) return dflt;
  std::string v = req.get_param_value(name);
  size_t n = 0;
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
    fail(Errc::invalid_argument, std::string("query parameter ") + name + " must be a non-negative integer, got \"" + v + "\"");
  n = std::stoul(v);
  if (n > max) fail(Errc::invalid_argument, std::string("query parameter ") + name + " must be at most " + std::to_string(max));
  return n;
}

std::vector<std::string> tag_params(const httplib::Request& req) {
  std::vector<std::string> tags;
  size_t n = req.get_param_value_count("tag");
  for (size_t i = 0; i < n; ++i) tags.push_back(req.get_param_value("tag", i));
  return tags;
}

json body_object(const httplib::Request& req) {
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail(Errc::invalid_argument, "the request body must be a JSON object");
  return j;
}

std::string str_field(const json& j, const char* k) {
  if (!j[k].is_string()) fail(Errc::invalid_argument, std::string("field \"") + k + "\" must be a string");
  return j[k].get<std::string>();
}
double num_field(const json& j, const char* k) {
  if (!j[k].is_number()) fail(Errc::invalid_argument, std::string("field \"") + k + "\" must be a number");
  return j[k].get<double>();
}
std::vector<std::string> tags_field(const json& j) {
  if (!j["tags"].is_array()) fail(Errc::invalid_argument, "field \"tags\" must be an array of strings");
  std::vector<std::string> out;
  for (const auto& t : j["tags"]) {
    if (!t.is_string()) fail(Errc::invalid_argument, "field \"tags\" must be an array of strings");
    out.push_back(t.get<std::string>());
  }
  return out;
}
// "expires": RFC 3339 text, or null / "" for never.
int64_t expires_field(const json& j) {
  if (j["expires"].is_null()) return 0;
  std::string s = str_field(j, "expires");
  return s.empty() ? 0 : parse_time(s);
}

// The editable fields of a body; anything else is refused so typos do not pass silently.
RecordPatch patch_from(const json& j) {
  RecordPatch p;
  for (auto& [k, v] : j.items()) {
    if (k == "text") p.text = str_field(j, "text");
    else if (k == "kind") p.kind = str_field(j, "kind");
    else if (k == "scope") p.scope = str_field(j, "scope");
    else if (k == "tags") p.tags = tags_field(j);
    else if (k == "importance") p.importance = num_field(j, "importance");
    else if (k == "confidence") p.confidence = num_field(j, "confidence");
    else if (k == "expires") p.expires = expires_field(j);
    else fail(Errc::invalid_argument, "unknown field \"" + k + "\" (editable: text, kind, scope, tags, importance, confidence, expires)");
  }
  return p;
}

ordered_json hit_json(const SearchHit& h) {
  return {{"memory", to_json(h.record)}, {"score", h.score}, {"bm25", h.bm25}, {"vector", h.vector},
          {"recency", h.recency}, {"importance", h.importance}, {"why", h.why}};
}

}  // namespace

void mount_memory_routes(httplib::Server& server, memory::Store& store, const MemoryRouteOptions& opts) {
  Store* st = &store;
  const std::string& prefix = opts.prefix;
  const std::string by = opts.by;
  const Authorize& auth = opts.authorize;
  const std::string id_path = prefix + "/([A-Za-z0-9_.:-]+)";

  server.Get(prefix, guarded(auth, [st](const httplib::Request& req, httplib::Response& res) {
    ListOptions o;
    o.scope = req.get_param_value("scope");
    o.kind = req.get_param_value("kind");
    o.tags = tag_params(req);
    o.include_deleted = req.get_param_value("deleted") == "1" || req.get_param_value("deleted") == "true";
    o.limit = size_param(req, "limit", 100, 10000);
    o.offset = size_param(req, "offset", 0, 100000000);
    ordered_json out = ordered_json::array();
    for (const auto& r : st->list(o)) out.push_back(to_json(r));
    send_ordered(res, 200, {{"memories", out}});
  }));

  // Registered before the {id} route, which would otherwise take "search" as an id.
  server.Get(prefix + "/search", guarded(auth, [st](const httplib::Request& req, httplib::Response& res) {
    SearchOptions o;
    o.query = req.get_param_value("q");
    if (o.query.empty()) fail(Errc::invalid_argument, "query parameter q is required");
    o.limit = size_param(req, "limit", 10, 1000);
    if (req.has_param("mode")) o.mode = parse_search_mode(req.get_param_value("mode"));
    if (o.mode != SearchMode::bm25 && !st->embedder()) o.mode = SearchMode::bm25;
    o.scope = req.get_param_value("scope");
    o.kind = req.get_param_value("kind");
    o.tags = tag_params(req);
    if (req.has_param("min_similarity")) {
      const std::string v = req.get_param_value("min_similarity");
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(d >= -1 && d <= 1))
        fail(Errc::invalid_argument, "min_similarity must be a number from -1 to 1, got \"" + v + "\"");
      o.min_similarity = d;
    }
    ordered_json out = ordered_json::array();
    for (const auto& h : st->search(o)) out.push_back(hit_json(h));
    send_ordered(res, 200, {{"results", out}});
  }));

  server.Get(id_path, guarded(auth, [st](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1];
    auto r = st->get(id);
    if (!r) fail(Errc::not_found, "no memory with id " + id);
    send_ordered(res, 200, to_json(*r));
  }));

  server.Post(prefix + "/undo", guarded(auth, [st](const httplib::Request&, httplib::Response& res) {
    const auto done = st->undo();
    send_ordered(res, 200, {{"undone", ids_of(done)}, {"changes", done}});
  }));

  server.Post(prefix, guarded(auth, [st, by, how = opts.remember](const httplib::Request& req, httplib::Response& res) {
    json j = body_object(req);
    if (!j.contains("text")) fail(Errc::invalid_argument, "field \"text\" is required");
    RecordPatch p = patch_from(j);
    Record r;
    r.text = *p.text;
    if (p.kind) r.kind = *p.kind;
    if (p.scope) r.scope = *p.scope;
    if (p.tags) r.tags = *p.tags;
    if (p.importance) r.importance = *p.importance;
    if (p.confidence) r.confidence = *p.confidence;
    if (p.expires) r.expires = *p.expires;
    const Remembered rem = remember(*st, r, by, how ? how() : RememberOptions{});
    ordered_json out = to_json(rem.record);
    out["reconcile"] = reconcile_json(rem);
    send_ordered(res, rem.action == Remembered::Action::duplicate ? 200 : 201, out);
  }));

  server.Patch(id_path, guarded(auth, [st, by](const httplib::Request& req, httplib::Response& res) {
    send_ordered(res, 200, to_json(st->update(req.matches[1], patch_from(body_object(req)), by)));
  }));

  server.Delete(id_path, guarded(auth, [st, by](const httplib::Request& req, httplib::Response& res) {
    send_ordered(res, 200, to_json(st->forget(req.matches[1], by)));
  }));
}

}  // namespace hearth::server
