// Ollama's /api/* endpoints on top of the router.
#include <cmath>
#include <ctime>

#include "core/clock.h"
#include "router/output_format.h"
#include "router/client_watch.h"
#include "router/gateway_internal.h"
#include "router/provider_local.h"
#include "router/wire_logprobs.h"
#include "router/wire_ollama.h"

namespace hearth::router {
namespace {

class NdjsonFramer : public StreamFramer {
 public:
  explicit NdjsonFramer(ollama::LineEncoder enc) : enc_(std::move(enc)) {}
  void event(const StreamEvent& e, std::string& out) override { enc_.encode(e, out); }
  void end(const RouteInfo&, std::string& out) override { enc_.finish(out); }
  void error(const ProviderError& e, std::string& out) override {
    out += openai::dump(GatewayHandlers::error_json(Dialect::ollama, e)) + "\n";
  }

 private:
  ollama::LineEncoder enc_;
};

std::string stamp_now() { return utc_now_text(); }

// Ollama writes sizes like "494.03M" and "7.6B".
std::string parameter_size(int64_t n) {
  if (n <= 0) return "";
  char buf[32];
  if (n >= 1000000000) std::snprintf(buf, sizeof buf, "%.1fB", static_cast<double>(n) / 1e9);
  else if (n >= 1000000) std::snprintf(buf, sizeof buf, "%.2fM", static_cast<double>(n) / 1e6);
  else std::snprintf(buf, sizeof buf, "%.2fK", static_cast<double>(n) / 1e3);
  return buf;
}

std::string str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; }

json details_of(const json& info, const std::string& fallback_family) {
  std::string family = str(info, "family");
  if (family.empty()) family = str(info, "architecture");
  if (family.empty()) family = fallback_family;
  int64_t params = info.contains("parameter_count") && info["parameter_count"].is_number() ? info["parameter_count"].get<int64_t>() : 0;
  std::string format = str(info, "format");
  return {{"parent_model", ""}, {"format", format.empty() ? "gguf" : format}, {"family", family},
          {"families", json::array({family})}, {"parameter_size", parameter_size(params)},
          {"quantization_level", str(info, "quantization")}};
}

// "parameters" as Ollama prints them: one `name value` line each, strings quoted, lists repeated.
std::string parameter_lines(const json& params) {
  if (params.is_string()) return params;
  std::string out;
  if (!params.is_object()) return out;
  for (const auto& item : params.items()) {
    const std::string& k = item.key();
    auto one = [&](const json& x) { out += k + " " + x.dump() + "\n"; };
    if (item.value().is_array()) for (const auto& x : item.value()) one(x);
    else one(item.value());
  }
  return out;
}

json tag_entry(const ModelInfo& m, const json& details) {
  return {{"name", m.id}, {"model", m.id}, {"modified_at", stamp_now()}, {"size", 0}, {"digest", ""}, {"details", details}};
}

}  // namespace

void GatewayHandlers::ollama_chat(const httplib::Request& req, httplib::Response& res) {
  std::string key = authenticate(req);
  auto j = request_json(req, res);
  bool streaming = true;
  auto c = ollama::request_from_json(j, &streaming);
  c.api_key_id = key;
  chat_request_context(req, j, c);
  c.request_id = new_id("ollama-");
  std::string model = c.model;
  bool lp = c.sampling.logprobs;
  if (streaming) {
    stream_chat(res, "application/x-ndjson", std::move(c), std::make_shared<NdjsonFramer>(ollama::LineEncoder(model, false, lp)));
    return;
  }
  ollama::Timing t;
  if (g.opts_.before_chat) g.opts_.before_chat(c);
  const ClientWatch watch(req);  // a client that hangs up frees its slot at once
  Accumulator acc;
  RouteInfo info = g.router_.stream(c, [&](const StreamEvent& e) {
    if (e.kind != StreamEvent::Kind::start && e.kind != StreamEvent::Kind::usage && e.kind != StreamEvent::Kind::finish) t.mark_first();
    acc.add(e);
    return !watch.gone();
  });
  auto r = acc.take();
  r.route = info;
  if (g.opts_.after_chat) g.opts_.after_chat(c, r);
  json body = ollama::response_to_json(r, model, t, false, lp);
  set_meta(res, body, r.route);
  res.set_content(openai::dump(body), "application/json");
}

void GatewayHandlers::ollama_generate(const httplib::Request& req, httplib::Response& res) {
  std::string key = authenticate(req);
  auto j = request_json(req, res);
  auto gen = ollama::generate_from_json(j);
  bool lp = gen.options.sampling.logprobs;
  if (gen.prompt.empty() && gen.system.empty()) {
    // Ollama's way to load a model (or, with keep_alive 0, to unload it): an empty prompt.
    Target t = g.router_.first_target(gen.model);
    const bool unload = gen.options.keep_alive_s && *gen.options.keep_alive_s == 0;
    auto pit = g.router_.config().providers.find(t.entry.provider);
    if (pit != g.router_.config().providers.end() && pit->second.type == "local")
      if (auto b = g.router_.local().get()) b->preload(t.entry.model, gen.options.keep_alive_s);
    json body = {{"model", gen.model}, {"created_at", stamp_now()}, {"response", ""}, {"done", true},
                 {"done_reason", unload ? "unload" : "load"}};
    res.set_content(openai::dump(body), gen.stream ? "application/x-ndjson" : "application/json");
    return;
  }
  Router* router = &g.router_;
  if (gen.raw) {
    if (gen.images)
      throw ProviderError(ErrorKind::bad_request, "model '" + gen.model + "' has no vision support: it cannot read 'images'")
          .with_param("images");
    auto c = std::make_shared<CompletionRequest>(gen.completion());
    restore_schema_order(req.body, c->format);
    c->api_key_id = key;
    c->request_id = new_id("ollama-");
    if (gen.stream) {
      start_stream(res, "application/x-ndjson", std::make_shared<NdjsonFramer>(ollama::LineEncoder(gen.model, true, lp)),
                   [router, c](const StreamSink& s) { return router->stream_completion(*c, s); }, nullptr);
      return;
    }
    ollama::Timing t;
    const ClientWatch watch(req);
    Accumulator acc;
    RouteInfo info = router->stream_completion(*c, [&](const StreamEvent& e) {
      if (e.kind == StreamEvent::Kind::text) t.mark_first();
      acc.add(e);
      return !watch.gone();
    });
    auto r = acc.take();
    r.route = info;
    json body = ollama::response_to_json(r, gen.model, t, true, lp);
    set_meta(res, body, r.route);
    res.set_content(openai::dump(body), "application/json");
    return;
  }
  ChatRequest c = gen.chat();
  c.api_key_id = key;
  chat_request_context(req, j, c);
  c.request_id = new_id("ollama-");
  if (gen.stream) {
    stream_chat(res, "application/x-ndjson", std::move(c), std::make_shared<NdjsonFramer>(ollama::LineEncoder(gen.model, true, lp)));
    return;
  }
  ollama::Timing t;
  if (g.opts_.before_chat) g.opts_.before_chat(c);
  const ClientWatch watch(req);  // a client that hangs up frees its slot at once
  Accumulator acc;
  RouteInfo info = router->stream(c, [&](const StreamEvent& e) {
    if (e.kind == StreamEvent::Kind::text || e.kind == StreamEvent::Kind::reasoning) t.mark_first();
    acc.add(e);
    return !watch.gone();
  });
  auto r = acc.take();
  r.route = info;
  if (g.opts_.after_chat) g.opts_.after_chat(c, r);
  json body = ollama::response_to_json(r, gen.model, t, true, lp);
  set_meta(res, body, r.route);
  res.set_content(openai::dump(body), "application/json");
}

void GatewayHandlers::ollama_tags(const httplib::Request& req, httplib::Response& res) {
  authenticate(req);
  json models = json::array();
  for (const auto& m : g.router_.list_models()) models.push_back(tag_entry(m, details_of(json::object(), m.provider)));
  res.set_content(openai::dump(json{{"models", models}}), "application/json");
}

void GatewayHandlers::ollama_ps(const httplib::Request& req, httplib::Response& res) {
  authenticate(req);
  json models = json::array();
  // Only the in-process engine has models loaded in this process.
  if (auto b = g.router_.local().get())
    for (const auto& st : b->status()) {
      if (!st.loaded) continue;
      json e = tag_entry({st.name, "local"}, details_of(json::object(), "local"));
      e["size"] = st.bytes;
      // Ollama writes a far-future time for "never"; hearth keeps the default model loaded.
      e["expires_at"] = st.expires_at.empty() ? "2318-01-01T00:00:00Z" : st.expires_at;
      e["size_vram"] = st.gpu_bytes;
      models.push_back(std::move(e));
    }
  res.set_content(openai::dump(json{{"models", models}}), "application/json");
}

void GatewayHandlers::ollama_show(const httplib::Request& req, httplib::Response& res) {
  authenticate(req);
  auto j = request_json(req, res);
  if (!j.is_object()) throw ProviderError(ErrorKind::bad_request, "request body must be a JSON object");
  // "model", or "name" from older clients.
  const char* field = j.contains("model") ? "model" : "name";
  if (!j.contains(field) || !j[field].is_string() || j[field].get<std::string>().empty())
    throw ProviderError(ErrorKind::bad_request, "'model' is required and must be a string").with_param("model");
  std::string name = j[field];
  Target t = g.router_.first_target(name);
  const auto& providers = g.router_.config().providers;
  auto pit = providers.find(t.entry.provider);
  bool local = pit != providers.end() && pit->second.type == "local";
  json info = json::object();
  if (local) {
    auto b = g.router_.local().get();
    if (!b) throw ProviderError(ErrorKind::not_found, "no local model loaded");
    info = b->show(t.entry.model);
    if (!info.is_object()) throw ProviderError(ErrorKind::server, "local backend returned no model details");
  }
  json details = details_of(info, t.entry.provider);
  json model_info = info.contains("model_info") && info["model_info"].is_object() ? info["model_info"] : json::object();
  if (!model_info.contains("general.architecture") && !details["family"].get<std::string>().empty())
    model_info["general.architecture"] = details["family"];
  if (info.contains("parameter_count") && info["parameter_count"].is_number()) model_info["general.parameter_count"] = info["parameter_count"];
  if (info.contains("context_length") && info["context_length"].is_number())
    model_info[details["family"].get<std::string>() + ".context_length"] = info["context_length"];
  else if (t.entry.caps.context_length > 0)
    model_info[details["family"].get<std::string>() + ".context_length"] = t.entry.caps.context_length;
  std::string tmpl = str(info, "template");
  std::string params = parameter_lines(info.value("parameters", json()));
  std::string modelfile = "# Served by hearth (" + t.ref() + ")\nFROM " + t.ref() + "\n";
  if (!tmpl.empty()) modelfile += "TEMPLATE \"\"\"" + tmpl + "\"\"\"\n";
  std::istringstream lines(params);
  for (std::string l; std::getline(lines, l);)
    if (!l.empty()) modelfile += "PARAMETER " + l + "\n";
  json caps = json::array({"completion"});
  Capabilities c = t.entry.caps;
  if (local)
    if (auto b = g.router_.local().get()) c = b->capabilities(t.entry.model);
  if (c.tools) caps.push_back("tools");
  if (c.embeddings) caps.push_back("embedding");
  if (c.vision) caps.push_back("vision");
  json body = {{"modelfile", modelfile}, {"parameters", params}, {"template", tmpl}, {"details", details},
               {"model_info", model_info}, {"capabilities", caps}, {"modified_at", stamp_now()}};
  if (info.contains("license") && info["license"].is_string()) body["license"] = info["license"];
  if (info.contains("system") && info["system"].is_string()) body["system"] = info["system"];
  res.set_content(openai::dump(body), "application/json");
}

void GatewayHandlers::ollama_embed(const httplib::Request& req, httplib::Response& res, bool legacy) {
  std::string key = authenticate(req);
  auto p = parse_ollama_embed(request_json(req, res), legacy);
  p.req.api_key_id = key;
  auto start = std::chrono::steady_clock::now();
  auto r = g.router_.embed(p.req);
  json body;
  if (legacy) {
    body = {{"embedding", r.vectors.empty() ? json::array() : json(r.vectors[0])}};
  } else {
    body = {{"model", p.req.model}, {"embeddings", r.vectors},
            {"total_duration", ollama::Timing::since(start, std::chrono::steady_clock::now())},
            {"load_duration", 0}, {"prompt_eval_count", r.usage.input_tokens}};
  }
  set_meta(res, body, r.route);
  res.set_content(openai::dump(body), "application/json");
}

void GatewayHandlers::ollama_version(const httplib::Request&, httplib::Response& res) {
  res.set_content(openai::dump(json{{"version", g.opts_.version}}), "application/json");
}

}  // namespace hearth::router
