#include "memory/extract.h"

#include <set>

#include "core/error.h"
#include "memory/http_json.h"
#include "memory/reconcile.h"

namespace hearth::memory {

namespace {

const char* kSystem =
    "You maintain a user's long-term memory. Read the conversation and the existing memories. "
    "Reply with JSON only: {\"operations\": [...]}, each one of\n"
    "{\"op\":\"add\",\"kind\":\"fact|preference|instruction|task\",\"text\":\"...\",\"tags\":[...]}\n"
    "{\"op\":\"update\",\"id\":\"<existing id>\",\"text\":\"...\"}\n"
    "{\"op\":\"delete\",\"id\":\"<existing id>\"}\n"
    "{\"op\":\"none\"}\n"
    "Record durable facts about the user only. When the user contradicts an existing memory, "
    "update it: the user's newest statement wins.";

// Models often wrap JSON in prose or code fences; take the outermost object.
json parse_reply(const std::string& reply) {
  size_t a = reply.find('{'), b = reply.rfind('}');
  if (a == std::string::npos || b == std::string::npos || b < a)
    fail(Errc::format, "the extraction model did not answer with JSON");
  try {
    return json::parse(reply.substr(a, b - a + 1));
  } catch (const json::exception& e) {
    fail(Errc::format, std::string("the extraction model answered invalid JSON: ") + e.what());
  }
}

}  // namespace

HttpChatModel::HttpChatModel(std::string base_url, std::string model, std::string api_key)
    : base_url_(std::move(base_url)), model_(std::move(model)), api_key_(std::move(api_key)) {}

std::string HttpChatModel::complete(const std::string& system, const std::string& user) {
  json req = {{"model", model_},
              {"temperature", 0},
              {"messages", json::array({{{"role", "system"}, {"content", system}}, {{"role", "user"}, {"content", user}}})}};
  json resp = post_json(base_url_, "/v1/chat/completions", req, api_key_);
  try {
    return resp.at("choices").at(0).at("message").at("content").get<std::string>();
  } catch (const json::exception&) {
    fail(Errc::format, "chat completion from " + base_url_ + " lacks choices[0].message.content");
  }
}

ExtractionReport extract(Store& store, ExtractorModel& model, const std::vector<ChatTurn>& conv,
                         const std::string& scope, const std::string& conversation_id) {
  ExtractOptions o;
  o.scope = scope;
  o.conversation_id = conversation_id;
  return extract(store, model, conv, o);
}

ExtractionReport extract(Store& store, ExtractorModel& model, const std::vector<ChatTurn>& conv,
                         const ExtractOptions& opts) {
  const std::string& scope = opts.scope;
  const std::string& conversation_id = opts.conversation_id;
  const bool apply = !opts.dry_run;
  ExtractionReport rep;
  std::string convo, user_text;
  for (const auto& t : conv) {
    convo += t.role + ": " + t.content + "\n";
    if (t.role == "user") user_text += t.content + "\n";
  }
  SearchOptions so;
  so.query = user_text;
  so.scope = scope;
  so.limit = 10;
  so.mode = store.embedder() ? SearchMode::hybrid : SearchMode::bm25;
  std::set<std::string> shown;
  std::string existing;
  for (const auto& h : store.search(so)) {
    if (h.record.kind == "episode") continue;
    if (opts.may_show && !opts.may_show(h.record)) continue;
    shown.insert(h.record.id);
    existing += "- id=" + h.record.id + " [" + h.record.kind + "] " + h.record.text + "\n";
  }
  std::string prompt = "Existing memories:\n" + (existing.empty() ? std::string("(none)\n") : existing) +
                       "\nConversation:\n" + convo;
  json reply = parse_reply(model.complete(kSystem, prompt));
  if (!reply.contains("operations") || !reply["operations"].is_array())
    fail(Errc::format, "the extraction model's JSON lacks an \"operations\" array");
  std::string by = "extraction:" + model.name();
  auto run = [&] {
    for (const auto& op : reply["operations"]) {
      std::string kind = op.is_object() ? op.value("op", "") : "";
      std::string id = op.is_object() ? op.value("id", "") : "";
      std::string text = op.is_object() ? op.value("text", "") : "";
      if (kind == "add" && !text.empty()) {
        Record r;
        r.text = text;
        r.kind = op.value("kind", "fact");
        if (!valid_kind(r.kind) || r.kind == "episode") r.kind = "fact";
        r.scope = scope;
        if (op.contains("tags") && op["tags"].is_array())
          for (const auto& t : op["tags"])
            if (t.is_string()) r.tags.push_back(t);
        r.source = {conversation_id, "extraction", model.name(), 0};
        if (apply) {
          r = remember(store, r, by).record;
          shown.insert(r.id);  // later operations in the same reply may refine it
          rep.touched.push_back(r.id);
        }
        rep.ops.push_back({"add", apply ? r.id : std::string(), r.kind, r.text});
        ++rep.added;
      } else if (kind == "update" && shown.count(id) && !text.empty()) {
        RecordPatch p;
        p.text = text;
        if (apply) {
          store.update(id, p, by);
          rep.touched.push_back(id);
        }
        rep.ops.push_back({"update", id, {}, text});
        ++rep.updated;
      } else if (kind == "delete" && shown.count(id)) {
        if (apply) {
          store.forget(id, by);
          rep.touched.push_back(id);
        }
        rep.ops.push_back({"delete", id, {}, {}});
        ++rep.deleted;
      } else if (kind != "none") {
        ++rep.ignored;
      }
    }
    if (apply && opts.also) opts.also();
  };
  if (apply) store.batch(run);
  else run();
  return rep;
}

}  // namespace hearth::memory
