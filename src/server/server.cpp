#include "server/server.h"

#include <httplib.h>

#include <filesystem>
#include <sstream>

#include "core/json.h"
#include "core/log.h"
#include "core/paths.h"
#include "memory/embedder.h"
#include "server/memory_embedder.h"
#include "memory/serve_augment.h"
#include "memory/serve_extract.h"
#include "memory/serve_routes.h"
#include "memory/store.h"
#include "router/gateway.h"
#include "router/router.h"
#include "server/engine_backend.h"
#include "server/eval_routes.h"
#include "server/web_assets.h"
#include "tokenizer/tokenizer.h"

namespace hearth::server {
namespace {

// Until the model is ready, the local provider answers "loading" (503 with Retry-After).
class LoadingBackend : public router::LocalBackend {
 public:
  explicit LoadingBackend(std::string name) : name_(std::move(name)) {}
  [[noreturn]] void busy() const {
    throw router::ProviderError(router::ErrorKind::overloaded, "model '" + name_ + "' is still loading", 503, 1.0);
  }
  void chat_stream(const router::ChatRequest&, const router::StreamSink&) override { busy(); }
  void completion_stream(const router::CompletionRequest&, const router::StreamSink&) override { busy(); }
  router::EmbeddingResponse embed(const router::EmbeddingRequest&) override { busy(); }
  std::vector<std::string> models() override { return {name_}; }
  json show(const std::string&) override { busy(); }

 private:
  std::string name_;
};

void send_json(httplib::Response& res, int status, const json& j) {
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

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

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

}  // namespace

std::string model_name_for(const std::string& path) {
  std::string n = std::filesystem::path(path).filename().string();
  if (n.size() > 5 && n.compare(n.size() - 5, 5, ".gguf") == 0) n.resize(n.size() - 5);
  return n.empty() ? "model" : n;
}

Server::Server(ServeOptions opts) : opts_(std::move(opts)), http_(std::make_unique<httplib::Server>()) {
  if (opts_.model_name.empty()) opts_.model_name = model_name_for(opts_.model_path);
  router::RouterConfig cfg;
  if (!opts_.router_config.empty()) cfg = router::load_config(opts_.router_config);
  // The local engine is always a provider, and its model answers to its bare name too.
  router::ensure_local_provider(cfg);
  bool aliased = false;
  for (const auto& m : cfg.models) aliased = aliased || m.name == opts_.model_name;
  if (!aliased) {
    router::ModelEntry e;
    e.name = opts_.model_name;
    e.provider = "local";
    e.model = opts_.model_name;
    e.caps.tools = false;
    e.caps.json_mode = false;
    e.caps.embeddings = true;
    cfg.models.push_back(e);
  }
  if (cfg.default_model.empty()) cfg.default_model = "local:" + opts_.model_name;
  for (const auto& [k, v] : cfg.api_keys)
    if (!opts_.api_keys.count(k)) opts_.api_keys[k] = v;
  router::RouterOptions ropts;
  ropts.local_only = opts_.local_only;
  router_ = std::make_unique<router::Router>(std::move(cfg), ropts);
  router::set_local_backend(std::make_shared<LoadingBackend>(opts_.model_name));
}

Server::~Server() {
  stop();
  if (loader_.joinable()) loader_.join();
  mem_worker_.reset();  // finishes queued extractions while the model is still there
  router::set_local_backend(nullptr);
}

void Server::set_gateway_hooks(const std::function<void(router::GatewayOptions&)>& configure) {
  configure_gateway_ = configure;
}

void Server::add_routes(RouteMounter m) { extra_routes_.push_back(std::move(m)); }

std::string Server::url() const {
  const std::string h = opts_.host.find(':') != std::string::npos ? "[" + opts_.host + "]" : opts_.host;
  return "http://" + h + ":" + std::to_string(port_) + "/";
}

bool Server::authorized(const std::string& auth, const std::string& x_api_key) const {
  if (opts_.api_keys.empty()) return true;
  std::string given = x_api_key;
  if (given.empty() && auth.rfind("Bearer ", 0) == 0) given = auth.substr(7);
  for (const auto& [name, secret] : opts_.api_keys)
    if (!given.empty() && given == secret) return true;
  return false;
}

void Server::mount() {
  if (mounted_) return;
  mounted_ = true;
  auto& s = *http_;
  const int threads = opts_.http_threads > 0 ? opts_.http_threads : std::max(64, opts_.sched.parallel * 4 + 32);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(opts_.max_body_bytes);
  s.set_keep_alive_max_count(1000);

  // CORS: only origins the user allowed get the headers; preflights are answered here.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const std::string origin = req.get_header_value("Origin");
    if (!origin.empty()) {
      for (const auto& o : opts_.cors_origins)
        if (o == "*" || o == origin) {
          res.set_header("Access-Control-Allow-Origin", o == "*" ? "*" : origin);
          res.set_header("Vary", "Origin");
          res.set_header("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, x-api-key, anthropic-version, X-Hearth-Memory");
          res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
          break;
        }
    }
    if (req.method == "OPTIONS") {
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_logger([this](const httplib::Request&, const httplib::Response& res) {
    if (res.status >= 500) ++http_5xx_;
    else if (res.status >= 400) ++http_4xx_;
    else ++http_2xx_;
  });

  router::GatewayOptions gopts;
  gopts.api_keys = opts_.api_keys;
  gopts.max_body_bytes = opts_.max_body_bytes;
  if (opts_.memory) {
    // The same embedder `hearth memory` picks, so the CLI and the server never re-embed each
    // other's vectors; when that is the served model, it embeds through this server's engine.
    const ServedModel served{opts_.model_path, std::shared_ptr<router::Provider>(router_.get(), [](router::Provider*) {}),
                             opts_.model_name};
    auto emb = open_memory_embedder(opts_.memory_embed_model, &served);
    mem_embedder_desc_ = (emb.is_model ? emb.spec : std::string("the built-in hash embedder")) + " (" + emb.source + ")";
    mem_embedder_ = std::move(emb.embedder);
    const std::filesystem::path db = opts_.memory_db.empty() ? memory::Store::default_path() : std::filesystem::path(opts_.memory_db);
    std::filesystem::create_directories(db.parent_path());
    mem_store_ = std::make_unique<memory::Store>(db, mem_embedder_.get());
    mem_model_ = std::make_unique<memory::ProviderModel>(*router_, opts_.model_name);
    memory::ExtractAfterOptions xo;
    xo.default_on = opts_.memory_default_on;
    mem_worker_ = std::make_unique<memory::ExtractWorker>(*mem_store_, *mem_model_, xo, 8);
    memory::AugmentOptions ao;
    ao.default_on = opts_.memory_default_on;
    gopts.before_chat = [this, ao](router::ChatRequest& r) { memory::augment_chat(*mem_store_, r, ao); };
    // Only exchanges that opted in are queued (extraction's own chats bypass the gateway).
    gopts.after_chat = [this](const router::ChatRequest& q, const router::ChatResponse& a) { mem_worker_->submit(q, a); };
    memory::RouteOptions ro;
    ro.authorize = [this](const httplib::Request& r) {
      return authorized(r.get_header_value("Authorization"), r.get_header_value("x-api-key"));
    };
    memory::mount_routes(s, *mem_store_, ro);
  }
  EvalRouteOptions eo;
  eo.runs_dir = opts_.eval_runs_dir.empty() ? hearth_home() / "eval" / "runs" : std::filesystem::path(opts_.eval_runs_dir);
  eo.authorize = [this](const httplib::Request& r) {
    return authorized(r.get_header_value("Authorization"), r.get_header_value("x-api-key"));
  };
  mount_eval_routes(s, eo);
  if (configure_gateway_) configure_gateway_(gopts);
  gateway_ = std::make_unique<router::Gateway>(*router_, gopts);
  gateway_->mount(s);

  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    switch (state_.load()) {
      case State::ready: return send_json(res, 200, {{"status", "ok"}, {"model", opts_.model_name}});
      case State::loading:
        res.set_header("Retry-After", "1");
        return send_json(res, 503, {{"status", "loading"}, {"model", opts_.model_name}});
      case State::failed: {
        std::lock_guard<std::mutex> lk(mu_);
        return send_json(res, 500, {{"status", "error"}, {"error", load_error_}});
      }
    }
  });

  // Routes below need the key (when one is set) and, except /metrics, the loaded model.
  auto guarded = [this](bool need_model, auto fn) {
    return [this, need_model, fn](const httplib::Request& req, httplib::Response& res) {
      if (!authorized(req.get_header_value("Authorization"), req.get_header_value("x-api-key")))
        return send_error(res, 401, "invalid or missing API key", "authentication_error");
      if (need_model && !ready()) {
        res.set_header("Retry-After", "1");
        return send_error(res, 503, "the model is still loading", "overloaded_error");
      }
      fn(req, res);
    };
  };

  s.Get("/metrics", guarded(false, [this](const httplib::Request&, httplib::Response& res) {
    engine::SchedulerMetrics m;
    if (auto sch = std::atomic_load(&sched_)) m = sch->metrics();
    m.slots_total = opts_.sched.parallel;
    std::ostringstream o;
    metric(o, "hearth_requests_total", "counter", "Generation and embedding requests accepted.", double(m.requests_total));
    metric(o, "hearth_requests_rejected_total", "counter", "Requests refused because the queue was full.", double(m.rejected_total));
    metric(o, "hearth_requests_cancelled_total", "counter", "Requests stopped early (client gone).", double(m.cancelled_total));
    metric(o, "hearth_prompt_tokens_total", "counter", "Prompt tokens received.", double(m.prompt_tokens_total));
    metric(o, "hearth_prompt_tokens_cached_total", "counter", "Prompt tokens reused from the prompt cache.", double(m.cached_tokens_total));
    metric(o, "hearth_generated_tokens_total", "counter", "Tokens generated.", double(m.generated_tokens_total));
    metric(o, "hearth_batch_steps_total", "counter", "Batched forward passes run.", double(m.steps_total));
    metric(o, "hearth_generation_tokens_per_second", "gauge", "Recent generation speed, all streams together.", m.generation_tps);
    metric(o, "hearth_prompt_tokens_per_second", "gauge", "Recent prompt processing speed.", m.prompt_tps);
    metric(o, "hearth_queue_depth", "gauge", "Requests waiting for a slot.", m.queue_depth);
    metric(o, "hearth_slots_busy", "gauge", "Slots generating now.", m.slots_busy);
    metric(o, "hearth_slots_total", "gauge", "Slots (--parallel).", m.slots_total);
    metric(o, "hearth_model_ready", "gauge", "1 once the model is loaded.", ready() ? 1 : 0);
    o << "# HELP hearth_http_responses_total HTTP responses by status class.\n# TYPE hearth_http_responses_total counter\n";
    o << "hearth_http_responses_total{class=\"2xx\"} " << http_2xx_.load() << '\n';
    o << "hearth_http_responses_total{class=\"4xx\"} " << http_4xx_.load() << '\n';
    o << "hearth_http_responses_total{class=\"5xx\"} " << http_5xx_.load() << '\n';
    res.set_content(o.str(), "text/plain; version=0.0.4");
  }));

  s.Post("/tokenize", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!parse_body(req, res, body)) return;
    if (!body.contains("content") || !body["content"].is_string())
      return send_error(res, 400, "'content' must be a string", "invalid_request_error");
    const bool add_special = body.value("add_special", false), with_pieces = body.value("with_pieces", false);
    const auto& tok = sched_->tokenizer();
    const auto ids = tok.encode(body["content"].get<std::string>(), add_special, body.value("parse_special", true));
    json out = json::array();
    for (int32_t id : ids) {
      if (with_pieces) out.push_back({{"id", id}, {"piece", tok.token_to_piece(id, true)}});
      else out.push_back(id);
    }
    send_json(res, 200, {{"tokens", out}});
  }));

  s.Post("/detokenize", guarded(true, [this](const httplib::Request& req, httplib::Response& res) {
    json body;
    if (!parse_body(req, res, body)) return;
    if (!body.contains("tokens") || !body["tokens"].is_array())
      return send_error(res, 400, "'tokens' must be an array of token ids", "invalid_request_error");
    const auto& tok = sched_->tokenizer();
    const int64_t n_vocab = sched_->model().n_vocab();
    std::string text;
    for (size_t i = 0; i < body["tokens"].size(); ++i) {
      const auto& t = body["tokens"][i];
      if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= n_vocab)
        return send_error(res, 400, "tokens[" + std::to_string(i) + "] is not a token id of this model (0.." +
                                        std::to_string(n_vocab - 1) + ")", "invalid_request_error");
      text += tok.token_to_piece(t.get<int32_t>());
    }
    send_json(res, 200, {{"content", text}});
  }));

  if (opts_.web_ui) {
    auto asset = [](const httplib::Request& req, httplib::Response& res) {
      const WebAsset* a = find_web_asset(req.path);
      if (!a) return send_error(res, 404, "no such page: " + req.path, "not_found_error");
      res.set_header("ETag", std::string(a->etag));
      res.set_header("Cache-Control", std::string(cache_control(*a)));
      res.set_header("X-Content-Type-Options", "nosniff");
      if (etag_matches(*a, req.get_header_value("If-None-Match"))) {
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
  for (auto& m : extra_routes_) m(s);
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

void Server::load_async(std::function<void(const std::string&)> on_ready) {
  loader_ = std::thread([this, on_ready] {
    std::string err;
    try {
      auto loaded = engine::load_model(opts_.model_path);
      auto sched = std::make_shared<engine::Scheduler>(std::move(loaded), opts_.sched);
      backend_ = std::make_shared<EngineBackend>(sched, opts_.model_name, opts_.chat_template);
      std::atomic_store(&sched_, sched);
      router::set_local_backend(backend_);
      state_.store(State::ready);
    } catch (const std::exception& e) {
      err = e.what();
      {
        std::lock_guard<std::mutex> lk(mu_);
        load_error_ = err;
      }
      state_.store(State::failed);
    }
    if (on_ready) on_ready(err);
  });
}

void Server::listen() { http_->listen_after_bind(); }

void Server::stop() {
  if (http_) http_->stop();
}

}  // namespace hearth::server
