// Google Gemini generateContent / streamGenerateContent (?alt=sse). Gemini names the assistant
// role "model", puts the system prompt in systemInstruction, and returns whole function calls
// (arguments as an object) rather than fragments.
#include <map>

#include "core/json.h"
#include "router/provider.h"
#include "router/sse.h"

namespace hearth::router {
namespace {

StopReason gemini_stop(const std::string& s) {
  if (s == "STOP") return StopReason::stop;
  if (s == "MAX_TOKENS") return StopReason::length;
  if (s == "SAFETY" || s == "RECITATION" || s == "BLOCKLIST" || s == "PROHIBITED_CONTENT") return StopReason::content_filter;
  return StopReason::unknown;
}

json args_object(const std::string& text) {
  auto j = json::parse(text.empty() ? "{}" : text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

json to_gemini(const ChatRequest& req) {
  json contents = json::array();
  std::string system;
  // Gemini matches function responses to calls by name, so remember each call id's name.
  std::map<std::string, std::string> call_names;
  for (const auto& m : req.messages) {
    if (m.role == Role::system) {
      system += (system.empty() ? "" : "\n\n") + m.content;
      continue;
    }
    json parts = json::array();
    std::string role = m.role == Role::assistant ? "model" : "user";
    if (m.role == Role::tool) {
      std::string name = !m.name.empty() ? m.name : call_names[m.tool_call_id];
      json resp = json::parse(m.content, nullptr, false);
      if (resp.is_discarded() || !resp.is_object()) resp = {{"result", m.content}};
      parts.push_back({{"functionResponse", {{"name", name}, {"response", resp}}}});
    } else {
      if (!m.content.empty()) parts.push_back({{"text", m.content}});
      for (const auto& c : m.tool_calls) {
        call_names[c.id] = c.name;
        parts.push_back({{"functionCall", {{"name", c.name}, {"args", args_object(c.arguments)}}}});
      }
      if (parts.empty()) parts.push_back({{"text", ""}});
    }
    contents.push_back({{"role", role}, {"parts", parts}});
  }
  json j = {{"contents", contents}};
  if (!system.empty()) j["systemInstruction"] = {{"parts", json::array({{{"text", system}}})}};
  if (!req.tools.empty()) {
    json decls = json::array();
    for (const auto& t : req.tools) decls.push_back({{"name", t.name}, {"description", t.description}, {"parameters", t.parameters}});
    j["tools"] = json::array({{{"functionDeclarations", decls}}});
  }
  json gc = json::object();
  if (req.max_tokens) gc["maxOutputTokens"] = *req.max_tokens;
  if (req.temperature) gc["temperature"] = *req.temperature;
  if (req.top_p) gc["topP"] = *req.top_p;
  if (!req.stop.empty()) gc["stopSequences"] = req.stop;
  if (req.format.json) gc["responseMimeType"] = "application/json";
  if (!req.format.schema.is_null()) gc["responseJsonSchema"] = json::parse(req.format.schema.dump());
  if (!gc.empty()) j["generationConfig"] = gc;
  return j;
}

// Emits the events of one GenerateContentResponse (a whole reply or one streamed piece).
struct GeminiDecoder {
  bool started = false, finished = false;
  int calls = 0;
  Usage usage;
  StopReason stop = StopReason::stop;

  bool feed(const json& j, const StreamSink& sink) {
    if (!j.is_object()) throw ProviderError(ErrorKind::server, "malformed Gemini response");
    if (j.contains("error")) throw ProviderError(ErrorKind::server, "upstream error: " + j["error"].value("message", j["error"].dump()));
    if (!started) {
      started = true;
      StreamEvent s{StreamEvent::Kind::start};
      s.response_id = j.value("responseId", "");
      s.model = j.value("modelVersion", "");
      if (!sink(s)) return false;
    }
    if (j.contains("candidates") && j["candidates"].is_array() && !j["candidates"].empty()) {
      const auto& c = j["candidates"][0];
      if (c.contains("content") && c["content"].is_object() && c["content"].contains("parts") && c["content"]["parts"].is_array())
        for (const auto& p : c["content"]["parts"]) {
          if (p.contains("functionCall") && p["functionCall"].is_object()) {
            StreamEvent e{StreamEvent::Kind::tool_call};
            e.index = calls++;
            e.id = "call_" + std::to_string(e.index);
            e.name = p["functionCall"].value("name", "");
            e.arguments = p["functionCall"].value("args", json::object()).dump();
            if (!sink(e)) return false;
          } else if (p.contains("text") && p["text"].is_string()) {
            StreamEvent e{p.value("thought", false) ? StreamEvent::Kind::reasoning : StreamEvent::Kind::text};
            e.text = p["text"];
            if (!e.text.empty() && !sink(e)) return false;
          }
        }
      if (c.contains("finishReason") && c["finishReason"].is_string()) {
        finished = true;
        stop = calls > 0 ? StopReason::tool_calls : gemini_stop(c["finishReason"]);
      }
    }
    if (j.contains("usageMetadata") && j["usageMetadata"].is_object()) {
      const auto& u = j["usageMetadata"];
      usage.input_tokens = u.value("promptTokenCount", 0);
      usage.output_tokens = u.value("candidatesTokenCount", 0) + u.value("thoughtsTokenCount", 0);
    }
    return true;
  }

  bool end(const StreamSink& sink) {
    StreamEvent u{StreamEvent::Kind::usage};
    u.usage = usage;
    if (!sink(u)) return false;
    StreamEvent f{StreamEvent::Kind::finish};
    f.stop = stop;
    return sink(f);
  }
};

class GeminiProvider : public Provider {
 public:
  explicit GeminiProvider(ProviderConfig c) : cfg_(std::move(c)), ep_(parse_base_url(cfg_.base_url)) {}
  std::string name() const override { return cfg_.name; }

  void chat_stream(const ChatRequest& req, const StreamSink& sink) override {
    GeminiDecoder dec;
    bool stopped = false;
    SseParser sse([&](const SseEvent& ev) {
      if (stopped) return;
      auto j = json::parse(ev.data, nullptr, false);
      if (j.is_discarded()) throw ProviderError(ErrorKind::server, cfg_.name + ": stream chunk is not JSON");
      if (!dec.feed(j, sink)) stopped = true;
    });
    http_post(ep_, "/v1beta/models/" + req.model + ":streamGenerateContent?alt=sse", headers(), to_gemini(req).dump(),
              cfg_.http, [&](std::string_view d) {
                sse.feed(d);
                return !stopped;
              });
    sse.finish();
    if (stopped) throw ProviderError(ErrorKind::cancelled, "client went away");
    if (!dec.finished) throw ProviderError(ErrorKind::network, cfg_.name + ": stream ended before a finishReason");
    if (!dec.end(sink)) throw ProviderError(ErrorKind::cancelled, "client went away");
  }

  ChatResponse chat(const ChatRequest& req) override {
    std::string body =
        http_post_collect(ep_, "/v1beta/models/" + req.model + ":generateContent", headers(), to_gemini(req).dump(), cfg_.http);
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded()) throw ProviderError(ErrorKind::server, cfg_.name + ": response is not JSON");
    GeminiDecoder dec;
    Accumulator acc;
    auto sink = [&](const StreamEvent& e) { acc.add(e); return true; };
    dec.feed(j, sink);
    dec.end(sink);
    return acc.take();
  }

  // One text goes to :embedContent, several to :batchEmbedContents in groups of at most
  // kBatch (the API's per-call limit); either answers with float vectors in input order.
  // Gemini reports no token usage for embeddings, so usage stays zero.
  EmbeddingResponse embed(const EmbeddingRequest& req) override {
    constexpr size_t kBatch = 100;
    EmbeddingResponse out;
    out.model = req.model;
    auto content = [](const std::string& text) { return json{{"parts", json::array({{{"text", text}}})}}; };
    if (req.input.size() == 1) {
      auto j = post_json(req.model, ":embedContent", json{{"content", content(req.input[0])}});
      out.vectors.push_back(values(j.contains("embedding") ? j["embedding"] : json(), "embedding"));
      return out;
    }
    for (size_t at = 0; at < req.input.size(); at += kBatch) {
      json reqs = json::array();
      size_t end = std::min(req.input.size(), at + kBatch);
      for (size_t i = at; i < end; ++i) reqs.push_back({{"model", "models/" + req.model}, {"content", content(req.input[i])}});
      auto j = post_json(req.model, ":batchEmbedContents", json{{"requests", reqs}});
      if (!j.contains("embeddings") || !j["embeddings"].is_array() || j["embeddings"].size() != end - at)
        throw ProviderError(ErrorKind::server, cfg_.name + ": batchEmbedContents returned " +
                                                   (j.contains("embeddings") && j["embeddings"].is_array() ? std::to_string(j["embeddings"].size()) : std::string("no")) +
                                                   " embeddings for " + std::to_string(end - at) + " inputs");
      for (size_t i = 0; i < end - at; ++i) out.vectors.push_back(values(j["embeddings"][i], "embeddings[" + std::to_string(i) + "]"));
    }
    return out;
  }
  bool offers_embeddings() const override { return true; }

  std::vector<ModelInfo> list_models() override {
    auto j = json::parse(http_get(ep_, "/v1beta/models", headers(), cfg_.http), nullptr, false);
    std::vector<ModelInfo> out;
    if (j.is_object() && j.contains("models") && j["models"].is_array())
      for (const auto& m : j["models"]) {
        std::string n = m.value("name", "");
        if (n.rfind("models/", 0) == 0) n = n.substr(7);
        if (!n.empty()) out.push_back({n, cfg_.name});
      }
    return out;
  }

 private:
  Headers headers() const { return request_headers(cfg_, "x-goog-api-key"); }
  json post_json(const std::string& model, const std::string& method, const json& body) {
    auto j = json::parse(http_post_collect(ep_, "/v1beta/models/" + model + method, headers(), body.dump(), cfg_.http, 256u << 20),
                         nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw ProviderError(ErrorKind::server, cfg_.name + ": " + method.substr(1) + " response is not a JSON object");
    return j;
  }
  std::vector<float> values(const json& e, const std::string& where) const {
    if (!e.is_object() || !e.contains("values") || !e["values"].is_array() || e["values"].empty())
      throw ProviderError(ErrorKind::server, cfg_.name + ": " + where + " has no 'values' array");
    std::vector<float> v;
    v.reserve(e["values"].size());
    for (const auto& x : e["values"]) {
      if (!x.is_number()) throw ProviderError(ErrorKind::server, cfg_.name + ": " + where + ".values holds a non-number");
      v.push_back(x.get<float>());
    }
    return v;
  }
  ProviderConfig cfg_;
  Endpoint ep_;
};

}  // namespace

std::unique_ptr<Provider> make_gemini_provider(const ProviderConfig& c, const ProviderContext&) {
  return std::make_unique<GeminiProvider>(c);
}

}  // namespace hearth::router
