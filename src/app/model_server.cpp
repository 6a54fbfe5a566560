#include "app/model_server.h"

#include <cstdlib>
#include <filesystem>

#include "hub/model_store.h"
#include "app/eval_jobs.h"
#include "app/local_provider.h"
#include "core/error.h"
#include "core/log.h"
#include "core/paths.h"
#include "memory/embed_settings.h"
#include "memory/embedder.h"
#include "memory/serve_augment.h"
#include "memory/serve_extract.h"
#include "memory/store.h"
#include "model/kv_snapshot.h"
#include "pack/pack.h"
#include "router/config.h"
#include "router/gateway.h"
#include "router/router.h"

namespace hearth::app {
namespace {

// The router config: the user's (if any) plus the local engine, whose -m models also answer to
// their bare names unless the config already gives a name to something else. (Models found later
// in the model folder are resolved through the engine: router::Router::target_for.)
router::RouterConfig serve_config(const ServeOptions& o) {
  router::RouterConfig cfg;
  if (!o.router_config.empty()) cfg = router::load_config(o.router_config);
  ensure_local_provider(cfg);
  std::vector<std::string> names = {o.model_name};
  for (const auto& m : o.more_models) names.push_back(m.name);
  for (const auto& name : names) {
    bool aliased = false;
    for (const auto& m : cfg.models) aliased = aliased || m.name == name;
    if (aliased) continue;
    router::ModelEntry e;
    e.name = name;
    e.provider = "local";
    e.model = name;
    e.caps.tools = true;
    e.caps.json_mode = true;
    e.caps.grammar = true;
    e.caps.embeddings = true;
    cfg.models.push_back(e);
  }
  if (cfg.default_model.empty()) cfg.default_model = "local:" + o.model_name;
  return cfg;
}

// The models a request may name besides the -m ones.
std::function<std::vector<PoolModel>()> model_folder(const ServeOptions& o) {
  if (o.no_model_folder) return {};
  if (o.models_dir.empty())
    return [] {
      std::vector<PoolModel> out;
      for (const auto& m : hub::list_models()) out.push_back({m.name, m.path});
      return out;
    };
  return [dir = o.models_dir] {
    std::vector<PoolModel> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.is_regular_file() && e.path().extension() == ".gguf") out.push_back({e.path().stem().string(), e.path().string()});
    return out;
  };
}

// The default model, with a pack's persona and precomputed system prompt when it is a pack.
PoolModel first_model(const ServeOptions& o) {
  PoolModel m{o.model_name, o.model_path, o.system, nullptr};
  std::optional<pack::Pack> p;
  try {
    p = pack::open_pack(o.model_path);
  } catch (const Error&) {
    return m;  // loading the model reports what is wrong with the file
  }
  if (!p) return m;
  if (m.system.empty()) m.system = p->manifest.system;
  if (p->manifest.kv.size == 0 || m.system != p->manifest.system) return m;
  try {
    m.prefix = std::make_shared<model::KvSnapshot>(model::KvSnapshot::parse(pack::read_kv(*p), p->path + ": precomputed KV part"));
  } catch (const Error& e) {
    log::warn(std::string("serve: the system prompt will be computed at the first request: ") + e.what());
  }
  return m;
}

}  // namespace

std::string model_name_for(const std::string& path) {
  std::string n = std::filesystem::path(path).filename().string();
  if (n.size() > 5 && n.compare(n.size() - 5, 5, ".gguf") == 0) n.resize(n.size() - 5);
  return n.empty() ? "model" : n;
}

// Whether the user has a data folder ($HEARTH_HOME, XDG or HOME): a pack started with an empty
// environment has none, and then serves without memory, ledger or stored models.
bool has_data_folder() {
  try {
    hearth_home();
    return true;
  } catch (const Error&) {
    return false;
  }
}

ModelServer::ModelServer(ServeOptions opts) : opts_(std::move(opts)) {
  if (opts_.model_name.empty()) opts_.model_name = model_name_for(opts_.model_path);
  router::RouterConfig cfg = serve_config(opts_);
  const bool home = has_data_folder();
  if (!home) {
    for (const auto& [name, p] : cfg.providers)
      if (p.remote)
        fail(Errc::not_found, "provider '" + name + "' is remote, and its requests must be recorded in the ledger, but there "
                              "is no data folder: set HEARTH_HOME (or HOME)");
    if (opts_.memory) log::warn("serve: no data folder (HEARTH_HOME or HOME): serving without memory");
    opts_.memory = false;
    opts_.no_model_folder = opts_.no_model_folder || opts_.models_dir.empty();
  }
  for (const auto& [k, v] : cfg.api_keys)
    if (!opts_.api_keys.count(k)) opts_.api_keys[k] = v;
  router::RouterOptions ropts;
  ropts.local_only = opts_.local_only;
  ropts.use_ledger = home;  // without a data folder nothing remote is configured (checked above)
  ropts.local = std::make_shared<router::LocalBackendSlot>();
  ModelPoolOptions po;
  po.models.push_back(first_model(opts_));
  for (const auto& m : opts_.more_models) po.models.push_back(m);
  po.discover = model_folder(opts_);
  po.sched = opts_.sched;
  po.load = opts_.load;
  po.chat_template = opts_.chat_template;
  po.keep_alive_s = opts_.keep_alive_s;
  po.max_models = opts_.max_models;
  po.max_memory = opts_.max_memory;
  pool_ = std::make_shared<ModelPool>(po);
  ropts.local->set(pool_);
  router_ = std::make_unique<router::Router>(std::move(cfg), ropts);
}

ModelServer::~ModelServer() {
  stop();
  http_.reset();
  eval_jobs_.reset();   // cancels a running evaluation while the router is still there
  mem_worker_.reset();  // finishes queued extractions while the model is still there
}

void ModelServer::set_gateway_hooks(const std::function<void(router::GatewayOptions&)>& configure) {
  extra_gateway_hooks_ = configure;
}

void ModelServer::add_routes(server::RouteMounter m) { extra_routes_.push_back(std::move(m)); }

// The same embedder `hearth memory` picks, so the CLI and the server never re-embed each other's
// vectors; when that is the served model, it embeds through this server's engine.
void ModelServer::open_memory() {
  const ServedModel served{opts_.model_path, std::shared_ptr<router::Provider>(router_.get(), [](router::Provider*) {}),
                           opts_.model_name};
  EmbedderChoice choice = opts_.memory_embedder;
  choice.served = &served;
  auto emb = open_memory_embedder(choice);
  mem_embedder_desc_ = (emb.is_model ? emb.spec : std::string("the built-in hash embedder")) + " (" + emb.source + ")";
  mem_embedder_ = std::move(emb.embedder);
  const std::filesystem::path db =
      opts_.memory_db.empty() ? memory::Store::default_path() : std::filesystem::path(opts_.memory_db);
  std::filesystem::create_directories(db.parent_path());
  mem_store_ = std::make_unique<memory::Store>(db, mem_embedder_.get());
  const std::filesystem::path config = memory::memory_config_path(db);
  mem_policies_ = std::make_unique<memory::ScopePolicyFile>(config);
  std::string extractor = opts_.memory_extract_model;
  if (extractor.empty()) extractor = memory::load_extract_model(config).value_or(opts_.model_name);
  // Resolved now, so a name the router does not know stops the server at startup.
  // A model decides how the memory API's adds relate to stored memories only when one was chosen
  // for memory work (the flag or the saved setting), not merely the served model.
  mem_model_decides_ = !opts_.memory_extract_model.empty() || memory::load_extract_model(config).has_value();
  const router::Target target = router_->first_target(extractor);
  mem_extractor_desc_ = extractor + (target.remote ? " (remote provider " + target.entry.provider + ")" : " (on this machine)");
  mem_model_ = std::make_unique<memory::ProviderModel>(*router_, extractor);
  memory::ExtractAfterOptions xo;
  xo.default_on = opts_.memory_default_on;
  // The existing memories shown to the extraction model follow its provider's scope policies.
  mem_may_show_ = [policies = mem_policies_.get(), provider = target.entry.provider,
                   remote = target.remote](const memory::Record& r) { return policies->current().allows(r.scope, provider, remote); };
  xo.may_show = mem_may_show_;
  mem_worker_ = std::make_unique<memory::ExtractWorker>(*mem_store_, *mem_model_, xo, 8);
}

server::Server& ModelServer::http() {
  if (http_) return *http_;
  if (opts_.memory) open_memory();
  server::ServerOptions so;
  so.host = opts_.host;
  so.port = opts_.port;
  so.api_keys = opts_.api_keys;
  so.allowed_origins = opts_.allowed_origins;
  so.http_threads = opts_.http_threads;
  so.max_body_bytes = opts_.max_body_bytes;
  so.web_ui = opts_.web_ui;
  so.model_endpoint = opts_.hf_endpoint;
  if (!opts_.eval_runs_dir.empty()) so.eval_runs_dir = opts_.eval_runs_dir;
  else if (has_data_folder()) so.eval_runs_dir = hearth_home() / "eval" / "runs";
  if (!so.eval_runs_dir.empty()) {
    EvalJobsOptions eo;
    eo.runs_dir = so.eval_runs_dir;
    if (!opts_.eval_data.empty()) eo.eval_data = opts_.eval_data;
    else if (const char* d = std::getenv("HEARTH_EVAL_DATA"); d && *d) eo.eval_data = d;
    eo.check_model = [r = router_.get()](const std::string& model) { r->first_target(model); };
    eval_jobs_ = std::make_unique<EvalJobs>(std::shared_ptr<router::Provider>(router_.get(), [](router::Provider*) {}),
                                            std::move(eo));
  }
  server::ServerParts parts;
  parts.eval_jobs = eval_jobs_.get();
  parts.router = router_.get();
  parts.engine = pool_.get();
  parts.model_removed = [pool = pool_](const std::string& name) { pool->forget(name); };
  parts.memory = mem_store_.get();
  if (mem_store_ && mem_model_decides_) {
    parts.memory_remember = [this] {
      memory::RememberOptions o;
      o.model = mem_model_.get();
      o.may_show = mem_may_show_;
      return o;
    };
  }
  parts.configure_gateway = [this](router::GatewayOptions& g) {
    if (!opts_.strict_model && opts_.router_config.empty()) g.fallback_model = opts_.model_name;
    if (has_data_folder()) g.responses_dir = hearth_home() / "responses";
    g.responses_retention = std::chrono::seconds(static_cast<int64_t>(opts_.responses_retention_days * 86400));
    if (mem_store_) {
      memory::AugmentOptions ao;
      ao.default_on = opts_.memory_default_on;
      g.before_chat = [this, ao](router::ChatRequest& r) {
        memory::AugmentOptions o = ao;
        o.policies = mem_policies_->current();
        memory::prepare_memories(*mem_store_, r, o);
      };
      // Only exchanges that opted in are queued (extraction's own chats bypass the gateway).
      g.after_chat = [this](const router::ChatRequest& q, const router::ChatResponse& a) { mem_worker_->submit(q, a); };
    }
    if (extra_gateway_hooks_) extra_gateway_hooks_(g);
  };
  http_ = std::make_unique<server::Server>(so, parts);
  for (auto& m : extra_routes_) http_->add_routes(m);
  return *http_;
}

int ModelServer::bind() { return http().bind(); }

void ModelServer::load_async(std::function<void(const std::string&)> on_ready) {
  pool_->load_default_async(std::move(on_ready));
}

void ModelServer::listen() { http().listen(); }

void ModelServer::stop() {
  if (http_) http_->stop();
}

int ModelServer::port() const { return http_ ? http_->port() : -1; }

std::string ModelServer::url() const { return http_ ? http_->url() : std::string(); }

bool ModelServer::ready() const { return pool_->state() == server::EngineState::ready; }

}  // namespace hearth::app
