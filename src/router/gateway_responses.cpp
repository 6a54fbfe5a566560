// OpenAI's Responses API on the gateway: POST /v1/responses (streaming and not), GET and DELETE
// /v1/responses/{id}. Conversations are kept locally (store, previous_response_id), so clients
// need not resend history, and every provider can answer: the request becomes a routed chat.
#include <random>

#include "router/client_watch.h"
#include "router/gateway_internal.h"
#include "router/output_format.h"
#include "router/wire_logprobs.h"
#include "router/wire_openai.h"
#include "router/wire_responses.h"

namespace hearth::router {
namespace {

// Stored ids must not repeat across restarts: 128 random bits.
std::string response_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32)};
  char buf[48];
  std::snprintf(buf, sizeof buf, "resp_%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

Message assistant_message(const ChatResponse& r) {
  Message m = r.message;
  m.role = Role::assistant;
  return m;
}

class ResponsesFramer : public StreamFramer {
 public:
  ResponsesFramer(std::string id, long created, responses::Request q, std::function<void(const json&, const ChatResponse&)> done)
      : q_(std::make_unique<responses::Request>(std::move(q))), enc_(std::move(id), created, *q_), done_(std::move(done)) {}
  void event(const StreamEvent& e, std::string& out) override {
    if (!begun_) {
      begun_ = true;
      enc_.begin(out);
    }
    enc_.encode(e, out);
  }
  void end(const RouteInfo& info, std::string& out) override {
    out += ": hearth " + openai::dump(info.to_json()) + "\n\n";
    ChatResponse joined;
    const json resp = enc_.finish(out, &joined);
    if (done_) done_(resp, joined);
  }
  void error(const ProviderError& e, std::string& out) override { enc_.error(e, out); }

 private:
  std::unique_ptr<responses::Request> q_;  // the encoder keeps a reference to it
  responses::StreamEncoder enc_;
  std::function<void(const json&, const ChatResponse&)> done_;
  bool begun_ = false;
};

ProviderError no_such_response(const std::string& id, const char* param) {
  ProviderError e(ErrorKind::not_found, "response '" + id + "' was not found (never stored, expired, deleted, or made with another key)", 404);
  if (param) e.with_param(param);
  return e;
}

}  // namespace

void GatewayHandlers::responses_create(const httplib::Request& req, httplib::Response& res) {
  const std::string key = authenticate(req);
  const json j = request_json(req, res);
  responses::Request q = responses::parse_request(j);
  restore_schema_order(req.body, q.chat.format);
  auto store = g.responses_;
  std::vector<Message> history;
  if (!q.previous_response_id.empty()) {
    auto prev = store->load(q.previous_response_id, key);
    if (!prev) throw no_such_response(q.previous_response_id, "previous_response_id");
    history = std::move(prev->messages);
  }
  history.insert(history.end(), q.input.begin(), q.input.end());
  ChatRequest c = q.chat;
  if (!q.instructions.empty()) c.messages.push_back({Role::system, q.instructions});
  c.messages.insert(c.messages.end(), history.begin(), history.end());
  if (c.messages.empty()) throw bad_field("input", "must not be empty");
  c.api_key_id = key;
  chat_request_context(req, j, c);
  const std::string id = response_id();
  c.request_id = id;
  const long created = static_cast<long>(time(nullptr));
  const bool keep = q.store && store->enabled();
  auto save = [store, id, key, keep, history](const json& resp, const ChatResponse& r) {
    if (!keep) return;
    StoredResponse s{resp, history, key};
    s.messages.push_back(assistant_message(r));
    store->save(id, s);
  };
  if (q.stream) {
    auto framer = std::make_shared<ResponsesFramer>(id, created, q, save);
    stream_chat(res, "text/event-stream", std::move(c), std::move(framer));
    return;
  }
  auto watch = std::make_shared<ClientWatch>(req);
  c.abandoned = [watch] { return watch->gone(); };
  ChatResponse r = chat(c);
  json body = responses::response_json(id, created, q, &r, r.stop == StopReason::length ? "incomplete" : "completed");
  save(body, r);
  set_meta(res, body, r.route);
  res.set_content(openai::dump(body), "application/json");
}

void GatewayHandlers::responses_get(const httplib::Request& req, httplib::Response& res) {
  const std::string key = authenticate(req);
  const std::string id = req.matches[1];
  auto s = g.responses_->load(id, key);
  if (!s) throw no_such_response(id, nullptr);
  res.set_content(openai::dump(s->response), "application/json");
}

void GatewayHandlers::responses_delete(const httplib::Request& req, httplib::Response& res) {
  const std::string key = authenticate(req);
  const std::string id = req.matches[1];
  if (!g.responses_->remove(id, key)) throw no_such_response(id, nullptr);
  res.set_content(openai::dump(json{{"id", id}, {"object", "response"}, {"deleted", true}}), "application/json");
}

}  // namespace hearth::router
