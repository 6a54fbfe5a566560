// The terminal chat of a packed executable: a client of its own server's OpenAI-compatible chat
// endpoint, so the terminal and any HTTP client share one model and one scheduler.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/command.h"
#include "cli/pack_run.h"
#include "cli/chat_terminal.h"
#include "core/error.h"
#include "core/json.h"
#include "router/http.h"
#include "router/sse.h"

namespace hearth::cli {
namespace {

router::Headers auth_headers(const std::string& key) {
  router::Headers h;
  if (!key.empty()) h.emplace_back("Authorization", "Bearer " + key);
  return h;
}

// Waits until /health answers 200 (the model has loaded).
void wait_healthy(const router::Endpoint& ep, const std::string& key) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  router::HttpOptions opts{.connect_timeout_ms = 1000, .read_timeout_ms = 5000};
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      router::http_get(ep, "/health", auth_headers(key), opts);
      return;
    } catch (const std::exception& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fail(Errc::io, "the server did not become ready: " + last);
}

std::string model_id(const router::Endpoint& ep, const std::string& key) {
  router::HttpOptions opts;
  json j = json::parse(router::http_get(ep, "/v1/models", auth_headers(key), opts), nullptr, false);
  if (j.is_object() && j.contains("data") && j["data"].is_array() && !j["data"].empty() && j["data"][0].is_object() &&
      j["data"][0].contains("id") && j["data"][0]["id"].is_string())
    return j["data"][0]["id"].get<std::string>();
  fail(Errc::format, "the server's /v1/models lists no model");
}

}  // namespace

int terminal_chat(const std::string& url, const std::string& api_key, const std::string& system) {
  const router::Endpoint ep = router::parse_base_url(url);
  wait_healthy(ep, api_key);
  const std::string model = model_id(ep, api_key);
  std::fprintf(stderr, "hearth: chatting with %s (one message per line; /reset clears, /exit or Ctrl-D quits)\n",
               model.c_str());
  const bool interactive = ::isatty(STDIN_FILENO);
  json messages = json::array();
  if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
  std::string line;
  for (ChatInput in; (in = read_chat_input(interactive, line)) != ChatInput::exit;) {
    if (in == ChatInput::reset) {
      messages.erase(messages.begin() + (system.empty() ? 0 : 1), messages.end());
      std::fprintf(stderr, "[history cleared]\n");
      continue;
    }
    messages.push_back({{"role", "user"}, {"content", line}});
    json req = {{"model", model}, {"messages", messages}, {"stream", true}};
    std::string reply;
    bool done = false;
    router::SseParser sse([&](const router::SseEvent& ev) {
      if (ev.data == "[DONE]") {
        done = true;
        return;
      }
      json chunk = json::parse(ev.data, nullptr, false);
      if (!chunk.is_object() || !chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty())
        return;
      const json& delta = chunk["choices"][0].value("delta", json::object());
      if (delta.is_object() && delta.contains("content") && delta["content"].is_string()) {
        std::string piece = delta["content"].get<std::string>();
        reply += piece;
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      }
    });
    router::Headers headers = auth_headers(api_key);
    headers.emplace_back("Content-Type", "application/json");
    try {
      ReplySigint guard(false);
      router::http_post(ep, "/v1/chat/completions", headers, req.dump(), router::HttpOptions{},
                        [&](std::string_view bytes) {
                          sse.feed(bytes);
                          return !ReplySigint::fired().load();
                        });
      sse.finish();
    } catch (const std::exception& e) {
      if (!ReplySigint::fired().load()) {
        std::printf("\n");
        messages.erase(messages.end() - 1);
        print_error(e.what());
        continue;
      }
    }
    std::printf("\n");
    std::fflush(stdout);
    if (ReplySigint::fired().load() || !done) std::fprintf(stderr, "[reply stopped]\n");
    messages.push_back({{"role", "assistant"}, {"content", reply}});
  }
  return kExitOk;
}

}  // namespace hearth::cli
