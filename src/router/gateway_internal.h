// The gateway's request handlers, shared by gateway.cpp (OpenAI, Anthropic, common parts) and
// gateway_ollama.cpp (Ollama's /api/*). Not part of the public API.
#pragma once
#include <httplib.h>

#include "router/gateway.h"
#include "router/gateway_parse.h"
#include "router/gateway_stream.h"

namespace hearth::router {

enum class Dialect { openai, anthropic, ollama };

struct GatewayHandlers {
  Gateway& g;

  std::string new_id(const char* prefix);
  static json error_json(Dialect d, const ProviderError& e);
  static void send_error(httplib::Response& res, Dialect d, const ProviderError& e);
  // Checks the client's key; returns its name ("" when the gateway has no keys).
  std::string authenticate(const httplib::Request& req);
  // What a chat request takes from beyond its parsed body: X-Hearth-Memory: on|off and the body's
  // "hearth_memory" set ChatRequest::use_memory; a JSON schema gets its property order back.
  static void chat_request_context(const httplib::Request& req, const json& body, ChatRequest& c);
  void set_meta(httplib::Response& res, json& body, const RouteInfo& info);
  // The request body as JSON (400 when malformed), with GatewayOptions::fallback_model applied.
  json request_json(const httplib::Request& req, httplib::Response& res);
  // Runs before_chat, routes, then after_chat.
  ChatResponse chat(ChatRequest& c);
  // Streams a routed chat through `framer` with the memory hooks around it.
  void stream_chat(httplib::Response& res, const char* type, ChatRequest c, std::shared_ptr<StreamFramer> framer);

  void chat_completions(const httplib::Request& req, httplib::Response& res);
  void completions(const httplib::Request& req, httplib::Response& res);
  void messages(const httplib::Request& req, httplib::Response& res);
  void embeddings(const httplib::Request& req, httplib::Response& res);
  void models(const httplib::Request& req, httplib::Response& res);
  void model(const httplib::Request& req, httplib::Response& res);  // GET /v1/models/{id}
  void count_tokens(const httplib::Request& req, httplib::Response& res);  // Anthropic
  void responses_create(const httplib::Request& req, httplib::Response& res);  // OpenAI Responses
  void responses_get(const httplib::Request& req, httplib::Response& res);
  void responses_delete(const httplib::Request& req, httplib::Response& res);

  void ollama_chat(const httplib::Request& req, httplib::Response& res);
  void ollama_generate(const httplib::Request& req, httplib::Response& res);
  void ollama_tags(const httplib::Request& req, httplib::Response& res);
  void ollama_show(const httplib::Request& req, httplib::Response& res);
  void ollama_ps(const httplib::Request& req, httplib::Response& res);
  void ollama_embed(const httplib::Request& req, httplib::Response& res, bool legacy);
  void ollama_version(const httplib::Request& req, httplib::Response& res);

  template <typename F>
  httplib::Server::Handler guarded(Dialect d, F f) {
    return [d, f](const httplib::Request& req, httplib::Response& res) {
      try {
        f(req, res);
      } catch (const ProviderError& e) {
        send_error(res, d, e);
      } catch (const Error& e) {
        send_error(res, d, ProviderError(ErrorKind::bad_request, e.what()));
      } catch (const std::exception& e) {
        send_error(res, d, ProviderError(ErrorKind::server, std::string("internal error: ") + e.what()));
      }
    };
  }
};

}  // namespace hearth::router
