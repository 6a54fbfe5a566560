#include "server/server.h"

#include <httplib.h>

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "router/gateway.h"
#include "router/http_guard.h"
#include "router/http_workers.h"
#include "router/router.h"
#include "router/server_stop.h"
#include "server/engine_view.h"
#include "server/eval_routes.h"
#include "server/memory_routes.h"
#include "server/model_routes.h"
#include "server/json_reply.h"
#include "web/web_assets.h"

namespace hearth::server {
namespace {

void send_error(httplib::Response& res, int status, const std::string& message, const char* type) {
  send_json(res, status, {{"error", {{"message", message}, {"type", type}, {"code", status}}}});
}

// Parses a JSON object body or answers 400 itself.
bool parse_body(const httplib::Request& req, httplib::Response& res, json& out) {
  out = json::parse(req.body, nullptr, false);
  if (out.is_discarded()) {
    send_error(res, 400, "the request body is not valid JSON", "invalid_request_error");
    return false;
  }
  if (!out.is_object()) {
    send_error(res, 400, "the request body must be a JSON object", "invalid_request_error");
    return false;
  }
  return true;
}

void metric(std::ostringstream& o, const char* name, const char* type, const char* help, double v) {
  o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ' << v << '\n';
}

constexpr const char* kPageSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; font-src 'self' data:; object-src 'none'; frame-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

}  // namespace

Server::Server(ServerOptions opts, ServerParts parts)
    : opts_(std::move(opts)), parts_(std::move(parts)), http_(std::make_unique<httplib::Server>()) {
  if (!parts_.router || !parts_.engine) fail(Errc::invalid_argument, "server: a router and an engine are required");
}

Server::~Server() { stop(); }

void Server::add_routes(RouteMounter m) { extra_routes_.push_back(std::move(m)); }

std::string Server::url() const {
  const std::string h = opts_.host.find(':') != std::string::npos ? "[" + opts_.host + "]" : opts_.host;
  return "http://" + h + ":" + std::to_string(port_) + "/";
}

bool Server::authorized(const std::string& auth, const std::string& x_api_key) const {
  if (opts_.api_keys.empty()) return true;
  const std::string given = router::presented_key(auth, x_api_key);
  for (const auto& [name, secret] : opts_.api_keys)
    if (router::key_matches(given, secret)) return true;
  return false;
}

std::function<void(const httplib::Request&, httplib::Response&)> Server::guarded(
    bool need_model, std::function<void(const httplib::Request&, httplib::Response&)> fn) const {
  return [this, need_model, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req.get_header_value("Authorization"), req.get_header_value("x-api-key")))
      return send_error(res, 401, "invalid or missing API key", "authentication_error");
    if (need_model && parts_.engine->state() != EngineState::ready) {
      res.set_header("Retry-After", "1");
      return send_error(res, 503, "the model is still loading", "overloaded_error");
    }
    fn(req, res);
  };
}

void Server::mount() {
  if (mounted_) return;
  mounted_ = true;
  auto& s = *http_;
  const int slots = parts_.engine->counters().slots_total;
  const int threads = opts_.http_threads > 0 ? opts_.http_threads : std::max(router::kDefaultMaxConnections, slots * 4 + 32);
  s.new_task_queue = [threads] { return new router::GrowingThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(opts_.max_body_bytes);
  s.set_keep_alive_max_count(1000);
  mount_guard_and_counters(s);
  mount_web_api(s);
  mount_gateway(s);
  mount_health_and_metrics(s);
  mount_tokenizer(s);
  if (opts_.web_ui) mount_web_ui(s);
  for (auto& m : extra_routes_) m(s);
}

void Server::mount_guard_and_counters(httplib::Server& s) {
  router::HttpGuardOptions g;
  g.bind_host = opts_.host;
  g.allowed_origins = opts_.allowed_origins;
  router::install_http_guard(s, g);
  router::use_exclusive_port(s);
  s.set_logger([this](const httplib::Request&, const httplib::Response& res) {
    if (res.status >= 500) ++http_5xx_;
    else if (res.status >= 400) ++http_4xx_;
    else ++http_2xx_;
  });
}

// The web UI's own APIs: memory (when a store is open) and finished eval runs.
void Server::mount_web_api(httplib::Server& s) {
  auto authorize = [this](const httplib::Request& r) {
    return authorized(r.get_header_value("Authorization"), r.get_header_value("x-api-key"));
  };
  if (parts_.memory) {
    MemoryRouteOptions ro;
    ro.authorize = authorize;
    ro.remember = parts_.memory_remember;
    mount_memory_routes(s, *parts_.memory, ro);
  }
  EvalRouteOptions eo;
  eo.runs_dir = opts_.eval_runs_dir;
  eo.jobs = parts_.eval_jobs;
  eo.authorize = authorize;
  mount_eval_routes(s, eo);
  ModelRouteOptions mo;
  mo.authorize = authorize;
  mo.removed = parts_.model_removed;
  mo.endpoint = opts_.model_endpoint;
  mount_model_routes(s, mo);
}

void Server::mount_gateway(httplib::Server& s) {
  router::GatewayOptions gopts;
  gopts.api_keys = opts_.api_keys;
  gopts.max_body_bytes = opts_.max_body_bytes;
  if (parts_.configure_gateway) parts_.configure_gateway(gopts);
  gateway_ = std::make_unique<router::Gateway>(*parts_.router, gopts);
  gateway_->mount(s);
}

void Server::mount_health_and_metrics(httplib::Server& s) {
  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    const EngineView& e = *parts_.engine;
    switch (e.state()) {
      case EngineState::ready: return send_json(res, 200, {{"status", "ok"}, {"model", e.model_name()}});
      case EngineState::loading:
        res.set_header("Retry-After", "1");
        return send_json(res, 503, {{"status", "loading"}, {"model", e.model_name()}});
      case EngineState::failed: return send_json(res, 500, {{"status", "error"}, {"error", e.load_error()}});
    }
  });
  s.Get("/metrics", guarded(false, [this](const httplib::Request&, httplib::Response& res) {
    const EngineCounters m = parts_.engine->counters();
    std::ostringstream o;
    metric(o, "hearth_requests_total", "counter", "Generation and embedding requests accepted.", double(m.requests_total));
    metric(o, "hearth_requests_rejected_total", "counter", "Requests refused because the queue was full.", double(m.rejected_total));
    metric(o, "hearth_requests_cancelled_total", "counter", "Requests stopped early (client gone).", double(m.cancelled_total));
    metric(o, "hearth_prompt_tokens_total", "counter", "Prompt tokens received.", double(m.prompt_tokens_total));
    metric(o, "hearth_prompt_tokens_cached_total", "counter", "Prompt tokens reused from the prompt cache.", double(m.cached_tokens_total));
    metric(o, "hearth_generated_tokens_total", "counter", "Tokens generated.", double(m.generated_tokens_total));
    metric(o, "hearth_batch_steps_total", "counter", "Batched forward passes run.", double(m.steps_total));
    metric(o, "hearth_draft_tokens_total", "counter", "Tokens drafted for speculative decoding.", double(m.draft_tokens_total));
    metric(o, "hearth_draft_tokens_accepted_total", "counter", "Drafted tokens the model accepted.", double(m.draft_accepted_total));
    metric(o, "hearth_generation_tokens_per_second", "gauge", "Recent generation speed, all streams together.", m.generation_tps);
    metric(o, "hearth_prompt_tokens_per_second", "gauge", "Recent prompt processing speed.", m.prompt_tps);
    metric(o, "hearth_queue_depth", "gauge", "Requests waiting for a slot.", m.queue_depth);
    metric(o, "hearth_slots_busy", "gauge", "Slots generating now.", m.slots_busy);
    metric(o, "hearth_slots_total", "gauge", "Slots (--parallel).", m.slots_total);
    metric(o, "hearth_model_ready", "gauge", "1 once the model is loaded.", parts_.engine->state() == EngineState::ready ? 1 : 0);
    o << "# HELP hearth_http_responses_total HTTP responses by status class.\n# TYPE hearth_http_responses_total counter\n";
    o << "hearth_http_responses_total{class=\"2xx\"} " << http_2xx_.load() << '\n';
    o << "hearth_http_responses_total{class=\"4xx\"} " << http_4xx_.load() << '\n';
    o << "hearth_http_responses_total{class=\"5xx\"} " << http_5xx_.load() << '\n';
    o << "# HELP hearth_model_loaded 1 for each model loaded now, 0 for one that loads when asked for.\n"
         "# TYPE hearth_model_loaded gauge\n";
    for (const auto& l : parts_.engine->model_loads()) o << "hearth_model_loaded{model=\"" << l.name << "\"} " << (l.loaded ? 1 : 0) << '\n';
    o << "# HELP hearth_model_bytes Memory a loaded model takes (weights and KV cache).\n# TYPE hearth_model_bytes gauge\n";
    for (const auto& l : parts_.engine->model_loads())
      if (l.loaded) o << "hearth_model_bytes{model=\"" << l.name << "\"} " << l.bytes << '\n';
    o << router::router_metrics(*parts_.router);
    res.set_content(o.str(), "text/plain; version=0.0.4");
  }));
}

void Server::mount_tokenizer(httplib::Server& s) {
  s.Post("/tokenize", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!parse_body(req, res, body)) return;
    if (!body.contains("content") || !body["content"].is_string())
      return send_error(res, 400, "'content' must be a string", "invalid_request_error");
    const bool add_special = body.value("add_special", false), with_pieces = body.value("with_pieces", false);
    const EngineView& e = *parts_.engine;
    const auto ids = e.tokenize(body["content"].get<std::string>(), add_special, body.value("parse_special", true));
    json out = json::array();
    for (int32_t id : ids) {
      if (with_pieces) out.push_back({{"id", id}, {"piece", e.token_piece(id, true)}});
      else out.push_back(id);
    }
    send_json(res, 200, {{"tokens", out}});
  }));
  s.Post("/detokenize", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!parse_body(req, res, body)) return;
    if (!body.contains("tokens") || !body["tokens"].is_array())
      return send_error(res, 400, "'tokens' must be an array of token ids", "invalid_request_error");
    const EngineView& e = *parts_.engine;
    const int64_t n_vocab = e.n_vocab();
    std::string text;
    for (size_t i = 0; i < body["tokens"].size(); ++i) {
      const auto& t = body["tokens"][i];
      if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= n_vocab)
        return send_error(res, 400, "tokens[" + std::to_string(i) + "] is not a token id of this model (0.." +
                                        std::to_string(n_vocab - 1) + ")", "invalid_request_error");
      text += e.token_piece(t.get<int32_t>(), false);
    }
    send_json(res, 200, {{"content", text}});
  }));
}

void Server::mount_web_ui(httplib::Server& s) {
  auto asset = [](const httplib::Request& req, httplib::Response& res) {
    const web::WebAsset* a = web::find_web_asset(req.path);
    if (!a) return send_error(res, 404, "no such page: " + req.path, "not_found_error");
    res.set_header("ETag", std::string(a->etag));
    res.set_header("Cache-Control", std::string(web::cache_control(*a)));
    res.set_header("X-Content-Type-Options", "nosniff");
    // The page shows untrusted model output: nothing may load from anywhere but this server, so
    // a reply cannot make the browser send data out (remote images are shown as links).
    res.set_header("Content-Security-Policy", kPageSecurityPolicy);
    res.set_header("Referrer-Policy", "no-referrer");
    if (web::etag_matches(*a, req.get_header_value("If-None-Match"))) {
      res.status = 304;
      return;
    }
    res.set_content(std::string(a->body), std::string(a->content_type));
  };
  s.Get("/", asset);
  s.Get("/index.html", asset);
  s.Get("/assets/.*", asset);
  s.Get(R"(/[^/]+\.(ico|png|svg|webmanifest|txt))", asset);
}

int Server::bind() {
  mount();
  if (opts_.port == 0) {
    port_ = http_->bind_to_any_port(opts_.host);
    if (port_ < 0) fail(Errc::io, "cannot bind " + opts_.host + " (any port)");
  } else {
    if (!http_->bind_to_port(opts_.host, opts_.port))
      fail(Errc::io, "cannot bind " + opts_.host + ":" + std::to_string(opts_.port) +
                         " (is another server using it? pick one with --port)");
    port_ = opts_.port;
  }
  // httplib listens with a backlog of 5; many clients connecting at once would wait for SYN retries.
  if (gateway_) gateway_->widen_listen_backlog();
  if (!is_loopback(opts_.host) && opts_.api_keys.empty())
    log::warn("serve: listening on " + opts_.host + " without an API key: anyone who can reach this port can use the model"
              " (set --api-key or --api-key-file)");
  return port_;
}

void Server::listen() { http_->listen_after_bind(); }

void Server::stop() {
  if (http_) router::stop_server(*http_, port_);
}

}  // namespace hearth::server
