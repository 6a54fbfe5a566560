#include "router/output_format.h"
#include "router/gateway.h"

#include <sys/socket.h>

#include <random>

#include "core/log.h"
#include "router/client_watch.h"
#include "router/http_guard.h"
#include "router/gateway_internal.h"
#include "router/wire_anthropic.h"
#include "router/wire_completions.h"
#include "router/wire_logprobs.h"
#include "router/wire_openai.h"

namespace hearth::router {
namespace {

// OpenAI and Anthropic streams: the encoder's frames, routing metadata as an SSE comment, and
// errors after the first byte as the dialect's error event.
template <typename Encoder>
class SseFramer : public StreamFramer {
 public:
  SseFramer(Encoder enc, Dialect d) : enc_(std::move(enc)), d_(d) {}
  void event(const StreamEvent& e, std::string& out) override { enc_.encode(e, out); }
  void end(const RouteInfo& info, std::string& out) override {
    out += ": hearth " + openai::dump(info.to_json()) + "\n\n";
    enc_.finish(out);
  }
  void error(const ProviderError& e, std::string& out) override {
    if (d_ == Dialect::anthropic) out += "event: error\n";
    out += "data: " + openai::dump(GatewayHandlers::error_json(d_, e)) + "\n\n";
  }

 private:
  Encoder enc_;
  Dialect d_;
};

const char* openai_error_type(const ProviderError& e) {
  switch (e.kind()) {
    case ErrorKind::auth: return "authentication_error";
    case ErrorKind::rate_limit: return "rate_limit_error";
    case ErrorKind::not_found: return "not_found_error";
    case ErrorKind::overloaded: return "overloaded_error";
    case ErrorKind::budget: return "insufficient_quota";
    case ErrorKind::refused: return "permission_error";
    default: return e.gateway_status() < 500 ? "invalid_request_error" : "api_error";
  }
}

std::string base64(const void* data, size_t n) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(p[i]) << 16 | (i + 1 < n ? uint32_t(p[i + 1]) << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out += t[v >> 18 & 63];
    out += t[v >> 12 & 63];
    out += i + 1 < n ? t[v >> 6 & 63] : '=';
    out += i + 2 < n ? t[v & 63] : '=';
  }
  return out;
}

}  // namespace

std::string GatewayHandlers::new_id(const char* prefix) {
  static const uint64_t salt = std::random_device{}();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%012llx%04llx", prefix, static_cast<unsigned long long>(salt & 0xffffffffffffULL),
                static_cast<unsigned long long>(++g.counter_ & 0xffff));
  return buf;
}

json GatewayHandlers::error_json(Dialect d, const ProviderError& e) {
  std::string msg = e.what();
  // Whatever the backend said, the client should read that its prompt does not fit.
  if (e.kind() == ErrorKind::context_length && msg.find("context") == std::string::npos)
    msg = "context length exceeded: " + msg;
  if (d == Dialect::anthropic) return anthropic::error_body(e.kind(), msg);
  if (d == Dialect::ollama) return {{"error", msg}};
  return {{"error", {{"message", msg}, {"type", openai_error_type(e)},
                     {"param", e.param().empty() ? json(nullptr) : json(e.param())},
                     {"code", e.kind() == ErrorKind::context_length ? "context_length_exceeded" : error_kind_name(e.kind())}}}};
}

void GatewayHandlers::send_error(httplib::Response& res, Dialect d, const ProviderError& e) {
  res.status = e.gateway_status();
  if (auto* re = dynamic_cast<const RouteError*>(&e)) res.set_header("x-hearth-attempts", openai::dump(re->info().to_json()["attempts"]));
  if (e.kind() == ErrorKind::rate_limit || e.kind() == ErrorKind::overloaded) {
    // Overload always carries a hint so clients back off instead of hammering a full queue.
    double s = e.retry_after() > 0 ? e.retry_after() : 1;
    res.set_header("Retry-After", std::to_string(static_cast<int>(s + 0.999)));
  }
  res.set_content(openai::dump(error_json(d, e)), "application/json");
}

std::string GatewayHandlers::authenticate(const httplib::Request& req) {
  // Once any virtual key exists, every request needs a key.
  KeyStore* store = g.router_.keys();
  if (g.opts_.api_keys.empty() && !(store && store->any_active())) return "";
  const std::string presented = presented_key(req.get_header_value("Authorization"), req.get_header_value("x-api-key"));
  for (const auto& [name, secret] : g.opts_.api_keys)
    if (key_matches(presented, secret)) return name;
  if (store)
    if (auto k = store->find(presented)) return k->name;
  throw ProviderError(ErrorKind::auth, presented.empty() ? "missing API key (send Authorization: Bearer KEY)" : "invalid API key");
}

void GatewayHandlers::chat_request_context(const httplib::Request& req, const json& body, ChatRequest& c) {
  restore_schema_order(req.body, c.format);
  parse_memory_flag(body, c);
  if (!req.has_header("X-Hearth-Memory")) return;
  std::string v = req.get_header_value("X-Hearth-Memory");
  for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (v == "on" || v == "true" || v == "1") c.use_memory = true;
  else if (v == "off" || v == "false" || v == "0") c.use_memory = false;
  else throw ProviderError(ErrorKind::bad_request, "header X-Hearth-Memory must be 'on' or 'off'").with_param("X-Hearth-Memory");
}

json GatewayHandlers::request_json(const httplib::Request& req, httplib::Response& res) {
  json j = parse_request_body(req.body);
  const std::string& fallback = g.opts_.fallback_model;
  if (fallback.empty() || !j.is_object()) return j;
  const char* key = j.contains("model") || !j.contains("name") ? "model" : "name";  // Ollama's older field
  std::string asked = j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  if (!asked.empty()) {
    try {
      g.router_.first_target(asked);
      return j;  // a name the router knows
    } catch (const ProviderError&) {
    }
  }
  res.set_header("x-hearth-model-substituted", asked.empty() ? "(none)" : asked);
  j[key] = fallback;
  return j;
}

void GatewayHandlers::set_meta(httplib::Response& res, json& body, const RouteInfo& info) {
  json m = info.to_json();
  res.set_header("x-hearth-attempts", openai::dump(m["attempts"]));
  res.set_header("x-hearth-provider", info.provider);
  body["hearth"] = m;
}

ChatResponse GatewayHandlers::chat(ChatRequest& c) {
  if (g.opts_.before_chat) g.opts_.before_chat(c);
  auto r = g.router_.chat(c);
  if (g.opts_.after_chat) g.opts_.after_chat(c, r);
  return r;
}

void GatewayHandlers::stream_chat(httplib::Response& res, const char* type, ChatRequest c, std::shared_ptr<StreamFramer> framer) {
  if (g.opts_.before_chat) g.opts_.before_chat(c);
  auto creq = std::make_shared<ChatRequest>(std::move(c));
  Router* router = &g.router_;
  StreamFinished finished;
  if (g.opts_.after_chat) finished = [after = g.opts_.after_chat, creq](const ChatResponse& r) { after(*creq, r); };
  start_stream(res, type, std::move(framer), [router, creq](const StreamSink& s) { return router->stream(*creq, s); }, finished);
}

void GatewayHandlers::chat_completions(const httplib::Request& req, httplib::Response& res) {
  std::string key = authenticate(req);
  auto j = request_json(req, res);
  auto p = parse_openai_chat(j);
  auto& c = p.req;
  c.api_key_id = key;
  chat_request_context(req, j, c);
  c.request_id = new_id("chatcmpl-");
  std::string model = c.model;
  if (p.stream) {
    openai::StreamEncoder enc(c.request_id, model, static_cast<long>(time(nullptr)), p.include_usage);
    stream_chat(res, "text/event-stream", std::move(c), std::make_shared<SseFramer<openai::StreamEncoder>>(std::move(enc), Dialect::openai));
    return;
  }
  auto watch = std::make_shared<ClientWatch>(req);
  c.abandoned = [watch] { return watch->gone(); };
  auto r = chat(c);
  r.id = c.request_id;
  if (!c.sampling.logprobs) r.logprobs.clear();
  json body = openai::response_to_json(r, model);
  if (c.sampling.logprobs && r.logprobs.empty()) body["choices"][0]["logprobs"] = {{"content", json::array()}, {"refusal", nullptr}};
  set_meta(res, body, r.route);
  res.set_content(openai::dump(body), "application/json");
}

void GatewayHandlers::completions(const httplib::Request& req, httplib::Response& res) {
  std::string key = authenticate(req);
  auto p = parse_openai_completion(request_json(req, res));
  auto& c = p.req;
  restore_schema_order(req.body, c.format);
  c.api_key_id = key;
  c.request_id = new_id("cmpl-");
  Router* router = &g.router_;
  if (p.stream) {
    auto creq = std::make_shared<CompletionRequest>(c);
    openai::CompletionEncoder enc(c.request_id, c.model, static_cast<long>(time(nullptr)), p.include_usage);
    start_stream(res, "text/event-stream", std::make_shared<SseFramer<openai::CompletionEncoder>>(std::move(enc), Dialect::openai),
                 [router, creq](const StreamSink& s) { return router->stream_completion(*creq, s); }, nullptr);
    return;
  }
  auto watch = std::make_shared<ClientWatch>(req);
  c.abandoned = [watch] { return watch->gone(); };
  auto r = router->completion(c);
  if (!c.sampling.logprobs) r.logprobs.clear();
  json body = openai::completion_response_to_json(r, c.request_id, c.model, c.sampling.logprobs);
  set_meta(res, body, r.route);
  res.set_content(openai::dump(body), "application/json");
}

void GatewayHandlers::messages(const httplib::Request& req, httplib::Response& res) {
  std::string key = authenticate(req);
  auto j = request_json(req, res);
  auto c = anthropic::request_from_json(j);
  bool streaming = j.is_object() && j.contains("stream") && j["stream"].is_boolean() && j["stream"].get<bool>();
  c.api_key_id = key;
  chat_request_context(req, j, c);
  c.request_id = new_id("msg_");
  std::string model = c.model;
  if (streaming) {
    anthropic::StreamEncoder enc(c.request_id, model);
    stream_chat(res, "text/event-stream", std::move(c), std::make_shared<SseFramer<anthropic::StreamEncoder>>(std::move(enc), Dialect::anthropic));
    return;
  }
  auto watch = std::make_shared<ClientWatch>(req);
  c.abandoned = [watch] { return watch->gone(); };
  auto r = chat(c);
  r.id = c.request_id;
  json body = anthropic::response_to_json(r, model);
  set_meta(res, body, r.route);
  res.set_content(openai::dump(body), "application/json");
}

// Anthropic's POST /v1/messages/count_tokens: {"input_tokens": N}.
void GatewayHandlers::count_tokens(const httplib::Request& req, httplib::Response& res) {
  authenticate(req);
  auto c = anthropic::request_from_json(request_json(req, res));
  bool exact = false;
  const int64_t n = g.router_.count_input_tokens(c, &exact);
  res.set_header("x-hearth-token-count", exact ? "exact" : "estimate");
  res.set_content(openai::dump(json{{"input_tokens", n}}), "application/json");
}

void GatewayHandlers::models(const httplib::Request& req, httplib::Response& res) {
  authenticate(req);
  json data = json::array();
  for (const auto& m : g.router_.list_models()) {
    json e = {{"id", m.id}, {"object", "model"}, {"created", 0}, {"owned_by", m.provider}};
    if (!m.state.empty()) e["status"] = m.state;  // hearth's: loaded now, or loads when asked for
    data.push_back(std::move(e));
  }
  res.set_content(openai::dump(json{{"object", "list"}, {"data", data}}), "application/json");
}

void GatewayHandlers::model(const httplib::Request& req, httplib::Response& res) {
  authenticate(req);
  const std::string id = req.matches[1];
  for (const auto& m : g.router_.list_models())
    if (m.id == id) {
      res.set_content(openai::dump(json{{"id", m.id}, {"object", "model"}, {"created", 0}, {"owned_by", m.provider}}),
                      "application/json");
      return;
    }
  throw ProviderError(ErrorKind::not_found, "The model '" + id + "' does not exist").with_param("model");
}

void GatewayHandlers::embeddings(const httplib::Request& req, httplib::Response& res) {
  std::string key = authenticate(req);
  auto p = parse_openai_embeddings(request_json(req, res));
  p.req.api_key_id = key;
  auto r = g.router_.embed(p.req);
  json data = json::array();
  for (size_t i = 0; i < r.vectors.size(); ++i) {
    const auto& v = r.vectors[i];
    // float32 little-endian, as OpenAI's base64 format (x86 and ARM Linux are little-endian).
    json emb = p.base64 ? json(base64(v.data(), v.size() * sizeof(float))) : json(v);
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(emb)}});
  }
  json body = {{"object", "list"}, {"data", data}, {"model", p.req.model},
               {"usage", {{"prompt_tokens", r.usage.input_tokens}, {"total_tokens", r.usage.input_tokens}}}};
  set_meta(res, body, r.route);
  res.set_content(openai::dump(body), "application/json");
}

void Gateway::widen_listen_backlog() const {
  int fd = listen_fd_->load();
  if (fd >= 0 && ::listen(fd, SOMAXCONN) != 0) log::warn("gateway: could not widen the listen backlog");
}

void Gateway::mount(httplib::Server& s) {
  auto h = std::make_shared<GatewayHandlers>(GatewayHandlers{*this});
  s.set_payload_max_length(opts_.max_body_bytes);
  // Small responses and stream chunks must leave at once: with Nagle's algorithm on, each one
  // waits for the client's delayed ACK (about 40 ms on Linux).
  s.set_tcp_nodelay(true);
  // httplib closes a keep-alive connection after 5 requests by default, so busy clients would
  // reconnect constantly; idle connections still close after the keep-alive timeout.
  s.set_keep_alive_max_count(100000);
  // Remember the listening socket (httplib passes it here before binding) for widen_listen_backlog.
  s.set_socket_options([fd = listen_fd_](socket_t sock) {
    exclusive_socket_options(static_cast<int>(sock));  // a taken port fails to bind
    fd->store(static_cast<int>(sock));
  });
  // The handlers object lives as long as the server's handler table holds these closures.
  auto on = [&](Dialect d, auto fn) { return h->guarded(d, [h, fn](const httplib::Request& q, httplib::Response& r) { ((*h).*fn)(q, r); }); };
  s.Post("/v1/chat/completions", on(Dialect::openai, &GatewayHandlers::chat_completions));
  s.Post("/v1/completions", on(Dialect::openai, &GatewayHandlers::completions));
  s.Post("/v1/responses", on(Dialect::openai, &GatewayHandlers::responses_create));
  s.Get(R"(/v1/responses/([^/]+))", on(Dialect::openai, &GatewayHandlers::responses_get));
  s.Delete(R"(/v1/responses/([^/]+))", on(Dialect::openai, &GatewayHandlers::responses_delete));
  s.Post("/v1/messages", on(Dialect::anthropic, &GatewayHandlers::messages));
  s.Post("/v1/messages/count_tokens", on(Dialect::anthropic, &GatewayHandlers::count_tokens));
  s.Post("/v1/embeddings", on(Dialect::openai, &GatewayHandlers::embeddings));
  s.Get("/v1/models", on(Dialect::openai, &GatewayHandlers::models));
  s.Get(R"(/v1/models/(.+))", on(Dialect::openai, &GatewayHandlers::model));
  s.Post("/api/chat", on(Dialect::ollama, &GatewayHandlers::ollama_chat));
  s.Post("/api/generate", on(Dialect::ollama, &GatewayHandlers::ollama_generate));
  s.Get("/api/tags", on(Dialect::ollama, &GatewayHandlers::ollama_tags));
  s.Post("/api/show", on(Dialect::ollama, &GatewayHandlers::ollama_show));
  s.Get("/api/ps", on(Dialect::ollama, &GatewayHandlers::ollama_ps));
  s.Get("/api/version", on(Dialect::ollama, &GatewayHandlers::ollama_version));
  s.Post("/api/embed", h->guarded(Dialect::ollama, [h](const httplib::Request& q, httplib::Response& r) { h->ollama_embed(q, r, false); }));
  s.Post("/api/embeddings", h->guarded(Dialect::ollama, [h](const httplib::Request& q, httplib::Response& r) { h->ollama_embed(q, r, true); }));
  // httplib answers oversized bodies (413) and unknown routes (404) itself, with an empty body;
  // API clients expect their dialect's error object.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    bool ollama = req.path.rfind("/api/", 0) == 0;
    if (!ollama && req.path.rfind("/v1/", 0) != 0) return;
    ErrorKind k = res.status == 404 ? ErrorKind::not_found : res.status >= 500 ? ErrorKind::server : ErrorKind::bad_request;
    std::string msg = res.status == 413 ? "request body too large" : res.status == 404 ? "no such endpoint: " + req.method + " " + req.path
                                                                                      : "HTTP " + std::to_string(res.status);
    res.set_content(openai::dump(GatewayHandlers::error_json(ollama ? Dialect::ollama : Dialect::openai, ProviderError(k, msg))),
                    "application/json");
  });
}

}  // namespace hearth::router
