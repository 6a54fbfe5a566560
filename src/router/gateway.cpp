#include "router/gateway.h"

#include <httplib.h>

#include <chrono>
#include <random>

#include "core/log.h"
#include "router/wire_anthropic.h"
#include "router/wire_ollama.h"
#include "router/wire_openai.h"

namespace hearth::router {

enum class Dialect { openai, anthropic, ollama };

struct GatewayHandlers {
  Gateway& g;

  std::string new_id(const char* prefix) {
    static const uint64_t salt = std::random_device{}();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%012llx%04llx", prefix, static_cast<unsigned long long>(salt & 0xffffffffffffULL),
                  static_cast<unsigned long long>(++g.counter_ & 0xffff));
    return buf;
  }

  static json error_json(Dialect d, const ProviderError& e) {
    if (d == Dialect::anthropic) return anthropic::error_body(e.kind(), e.what());
    if (d == Dialect::ollama) return {{"error", e.what()}};
    const char* type = e.kind() == ErrorKind::auth ? "authentication_error"
                       : e.kind() == ErrorKind::rate_limit ? "rate_limit_error"
                       : e.gateway_status() < 500 ? "invalid_request_error" : "api_error";
    return {{"error", {{"message", e.what()}, {"type", type}, {"code", error_kind_name(e.kind())}, {"param", nullptr}}}};
  }

  static void send_error(httplib::Response& res, Dialect d, const ProviderError& e) {
    res.status = e.gateway_status();
    if (auto* re = dynamic_cast<const RouteError*>(&e)) res.set_header("x-hearth-attempts", re->info().to_json()["attempts"].dump());
    if (e.kind() == ErrorKind::rate_limit && e.retry_after() > 0)
      res.set_header("retry-after", std::to_string(static_cast<int>(e.retry_after() + 0.999)));
    res.set_content(error_json(d, e).dump(), "application/json");
  }

  // Checks the client's key; returns its name ("" when the gateway has no keys).
  std::string authenticate(const httplib::Request& req) {
    if (g.opts_.api_keys.empty()) return "";
    std::string presented;
    auto auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0) presented = auth.substr(7);
    if (presented.empty()) presented = req.get_header_value("x-api-key");
    for (const auto& [name, secret] : g.opts_.api_keys)
      if (!secret.empty() && presented.size() == secret.size()) {
        unsigned diff = 0;  // constant-time compare
        for (size_t i = 0; i < secret.size(); ++i) diff |= static_cast<unsigned char>(presented[i] ^ secret[i]);
        if (diff == 0) return name;
      }
    throw ProviderError(ErrorKind::auth, "missing or invalid API key");
  }

  static json parse_body(const httplib::Request& req) {
    auto j = json::parse(req.body, nullptr, false);
    if (j.is_discarded()) throw ProviderError(ErrorKind::bad_request, "request body is not valid JSON");
    return j;
  }

  // Streams the routed reply through `encode` (events -> bytes) and `finish`; errors before any
  // byte become the dialect's in-stream error.
  template <typename Encoder>
  void stream(httplib::Response& res, const char* content_type, ChatRequest creq, std::shared_ptr<Encoder> enc, Dialect d) {
    Router* router = &g.router_;
    // Fail fast with a real HTTP status for what is knowable before the first byte (unknown
    // model, --local-only, no capable model, budget); later failures go in-stream.
    router->plan(creq);
    router->budget().check(creq.api_key_id);
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(content_type, [router, creq = std::move(creq), enc, d](size_t, httplib::DataSink& sink) {
      std::string buf;
      bool wrote = false;
      auto flush = [&]() {
        if (buf.empty()) return true;
        bool ok = sink.write(buf.data(), buf.size());
        buf.clear();
        wrote = true;
        return ok;
      };
      try {
        RouteInfo info = router->stream(creq, [&](const StreamEvent& e) {
          enc->encode(e, buf);
          return flush();
        });
        std::string meta = ": hearth " + info.to_json().dump() + "\n\n";
        if (d != Dialect::ollama) buf += meta;
        enc->finish(buf);
        flush();
      } catch (const ProviderError& e) {
        std::string out;
        if (d == Dialect::anthropic) {
          out = "event: error\ndata: " + anthropic::error_body(e.kind(), e.what()).dump() + "\n\n";
        } else if (d == Dialect::ollama) {
          out = json{{"error", e.what()}}.dump() + "\n";
        } else {
          out = "data: " + error_json(d, e).dump() + "\n\n";
        }
        if (e.kind() != ErrorKind::cancelled) sink.write(out.data(), out.size());
      } catch (const std::exception& e) {
        log::error(std::string("gateway: stream failed: ") + e.what());
      }
      (void)wrote;
      sink.done();
      return true;
    });
  }

  void set_meta(httplib::Response& res, json& body, const RouteInfo& info) {
    json m = info.to_json();
    res.set_header("x-hearth-attempts", m["attempts"].dump());
    res.set_header("x-hearth-provider", info.provider);
    body["hearth"] = m;
  }

  void chat_completions(const httplib::Request& req, httplib::Response& res) {
    auto j = parse_body(req);
    auto creq = openai::request_from_json(j);
    creq.api_key_id = authenticate(req);
    creq.request_id = new_id("chatcmpl-");
    if (j.value("stream", false)) {
      bool usage = j.contains("stream_options") && j["stream_options"].is_object() && j["stream_options"].value("include_usage", false);
      auto enc = std::make_shared<openai::StreamEncoder>(creq.request_id, creq.model, static_cast<long>(time(nullptr)), usage);
      stream(res, "text/event-stream", std::move(creq), enc, Dialect::openai);
      return;
    }
    auto r = g.router_.chat(creq);
    r.id = creq.request_id;
    json body = openai::response_to_json(r, creq.model);
    set_meta(res, body, r.route);
    res.set_content(body.dump(), "application/json");
  }

  void messages(const httplib::Request& req, httplib::Response& res) {
    auto j = parse_body(req);
    auto creq = anthropic::request_from_json(j);
    creq.api_key_id = authenticate(req);
    creq.request_id = new_id("msg_");
    if (j.value("stream", false)) {
      auto enc = std::make_shared<anthropic::StreamEncoder>(creq.request_id, creq.model);
      stream(res, "text/event-stream", std::move(creq), enc, Dialect::anthropic);
      return;
    }
    auto r = g.router_.chat(creq);
    r.id = creq.request_id;
    json body = anthropic::response_to_json(r, creq.model);
    set_meta(res, body, r.route);
    res.set_content(body.dump(), "application/json");
  }

  void ollama_chat(const httplib::Request& req, httplib::Response& res) {
    auto j = parse_body(req);
    bool streaming = true;
    auto creq = ollama::request_from_json(j, &streaming);
    creq.api_key_id = authenticate(req);
    creq.request_id = new_id("ollama-");
    if (streaming) {
      auto enc = std::make_shared<ollama::LineEncoder>(creq.model);
      stream(res, "application/x-ndjson", std::move(creq), enc, Dialect::ollama);
      return;
    }
    auto r = g.router_.chat(creq);
    json body = ollama::response_to_json(r, creq.model);
    set_meta(res, body, r.route);
    res.set_content(body.dump(), "application/json");
  }

  void models(const httplib::Request& req, httplib::Response& res, Dialect d) {
    authenticate(req);
    json data = json::array();
    for (const auto& m : g.router_.list_models()) {
      if (d == Dialect::ollama) data.push_back({{"name", m.id}, {"model", m.id}, {"details", {{"family", m.provider}}}});
      else data.push_back({{"id", m.id}, {"object", "model"}, {"created", 0}, {"owned_by", m.provider}});
    }
    json body = d == Dialect::ollama ? json{{"models", data}} : json{{"object", "list"}, {"data", data}};
    res.set_content(body.dump(), "application/json");
  }

  void embeddings(const httplib::Request& req, httplib::Response& res) {
    auto j = parse_body(req);
    EmbeddingRequest ereq;
    if (!j.is_object() || !j.contains("model") || !j["model"].is_string()) throw ProviderError(ErrorKind::bad_request, "'model' is required");
    ereq.model = j["model"];
    const auto& in = j.value("input", json());
    if (in.is_string()) ereq.input.push_back(in);
    else if (in.is_array() && !in.empty())
      for (const auto& s : in) {
        if (!s.is_string()) throw ProviderError(ErrorKind::bad_request, "'input' must be a string or an array of strings");
        ereq.input.push_back(s);
      }
    else throw ProviderError(ErrorKind::bad_request, "'input' must be a string or a non-empty array of strings");
    ereq.api_key_id = authenticate(req);
    auto r = g.router_.embed(ereq);
    json data = json::array();
    for (size_t i = 0; i < r.vectors.size(); ++i) data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", r.vectors[i]}});
    json body = {{"object", "list"}, {"data", data}, {"model", ereq.model},
                 {"usage", {{"prompt_tokens", r.usage.input_tokens}, {"total_tokens", r.usage.input_tokens}}}};
    set_meta(res, body, r.route);
    res.set_content(body.dump(), "application/json");
  }

  template <typename F>
  httplib::Server::Handler guarded(Dialect d, F f) {
    return [this, d, f](const httplib::Request& req, httplib::Response& res) {
      try {
        f(req, res);
      } catch (const ProviderError& e) {
        send_error(res, d, e);
      } catch (const Error& e) {
        send_error(res, d, ProviderError(ErrorKind::bad_request, e.what()));
      } catch (const std::exception& e) {
        log::error(std::string("gateway: ") + e.what());
        send_error(res, d, ProviderError(ErrorKind::server, "internal error"));
      }
    };
  }
};

void Gateway::mount(httplib::Server& s) {
  auto h = std::make_shared<GatewayHandlers>(GatewayHandlers{*this});
  // The handlers object lives as long as the server's handler table holds these closures.
  s.Post("/v1/chat/completions", h->guarded(Dialect::openai, [h](auto& q, auto& r) { h->chat_completions(q, r); }));
  s.Post("/v1/messages", h->guarded(Dialect::anthropic, [h](auto& q, auto& r) { h->messages(q, r); }));
  s.Post("/v1/embeddings", h->guarded(Dialect::openai, [h](auto& q, auto& r) { h->embeddings(q, r); }));
  s.Get("/v1/models", h->guarded(Dialect::openai, [h](auto& q, auto& r) { h->models(q, r, Dialect::openai); }));
  s.Post("/api/chat", h->guarded(Dialect::ollama, [h](auto& q, auto& r) { h->ollama_chat(q, r); }));
  s.Get("/api/tags", h->guarded(Dialect::ollama, [h](auto& q, auto& r) { h->models(q, r, Dialect::ollama); }));
}

}  // namespace hearth::router
