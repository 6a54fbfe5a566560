#include "router/wire_logprobs.h"

#include "core/utf8.h"

namespace hearth::router::openai {
namespace {

json bytes_of(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

// Tokens may split a character; "bytes" carries the exact bytes, the text a readable form.
json entry(const std::string& token, float lp) {
  return {{"token", utf8::sanitize(token)}, {"logprob", lp}, {"bytes", bytes_of(token)}};
}

float number_or(const json& j, float fallback) { return j.is_number() ? j.get<float>() : fallback; }

}  // namespace

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void frame(const json& j, std::string& out) {
  out += "data: ";
  out += dump(j);
  out += "\n\n";
}

json chat_logprobs_json(const std::vector<TokenLogprob>& lps) {
  json content = json::array();
  for (const auto& t : lps) {
    json e = entry(t.token, t.has_logprob ? t.logprob : 0.0f);
    json top = json::array();
    for (const auto& a : t.top) top.push_back(entry(a.token, a.logprob));
    e["top_logprobs"] = std::move(top);
    content.push_back(std::move(e));
  }
  return content;
}

std::vector<TokenLogprob> chat_logprobs_from_json(const json& content) {
  std::vector<TokenLogprob> out;
  if (!content.is_array()) return out;
  for (const auto& e : content) {
    if (!e.is_object()) continue;
    TokenLogprob t;
    t.token = e.contains("token") && e["token"].is_string() ? e["token"].get<std::string>() : "";
    t.logprob = number_or(e.value("logprob", json()), 0);
    if (e.contains("top_logprobs") && e["top_logprobs"].is_array())
      for (const auto& a : e["top_logprobs"])
        if (a.is_object() && a.contains("token") && a["token"].is_string())
          t.top.push_back({a["token"].get<std::string>(), number_or(a.value("logprob", json()), 0)});
    out.push_back(std::move(t));
  }
  return out;
}

json legacy_logprobs_json(const std::vector<TokenLogprob>& lps, size_t offset) {
  json tokens = json::array(), lp = json::array(), top = json::array(), off = json::array();
  for (const auto& t : lps) {
    tokens.push_back(utf8::sanitize(t.token));
    lp.push_back(t.has_logprob ? json(t.logprob) : json(nullptr));
    if (!t.has_logprob) {
      top.push_back(nullptr);
    } else {
      json m = json::object();
      for (const auto& a : t.top) m[utf8::sanitize(a.token)] = a.logprob;
      top.push_back(std::move(m));
    }
    off.push_back(offset);
    offset += t.token.size();
  }
  return {{"tokens", tokens}, {"token_logprobs", lp}, {"top_logprobs", top}, {"text_offset", off}};
}

std::vector<TokenLogprob> legacy_logprobs_from_json(const json& j) {
  std::vector<TokenLogprob> out;
  if (!j.is_object() || !j.contains("tokens") || !j["tokens"].is_array()) return out;
  const auto& toks = j["tokens"];
  const json none = json::array();
  const auto& lps = j.contains("token_logprobs") && j["token_logprobs"].is_array() ? j["token_logprobs"] : none;
  const auto& tops = j.contains("top_logprobs") && j["top_logprobs"].is_array() ? j["top_logprobs"] : none;
  for (size_t i = 0; i < toks.size(); ++i) {
    TokenLogprob t;
    t.token = toks[i].is_string() ? toks[i].get<std::string>() : "";
    t.has_logprob = i < lps.size() && lps[i].is_number();
    t.logprob = t.has_logprob ? lps[i].get<float>() : 0;
    if (i < tops.size() && tops[i].is_object())
      for (const auto& [k, v] : tops[i].items()) t.top.push_back({k, number_or(v, 0)});
    out.push_back(std::move(t));
  }
  return out;
}

json usage_json(const Usage& u) {
  return {{"prompt_tokens", u.input_tokens},
          {"completion_tokens", u.output_tokens},
          {"total_tokens", u.input_tokens + u.output_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

Usage usage_from_json(const json& u) {
  Usage out;
  if (!u.is_object()) return out;
  auto num = [&](const json& o, const char* k) -> int64_t {
    return o.contains(k) && o[k].is_number_integer() ? o[k].get<int64_t>() : 0;
  };
  out.input_tokens = num(u, "prompt_tokens");
  out.output_tokens = num(u, "completion_tokens");
  if (u.contains("prompt_tokens_details") && u["prompt_tokens_details"].is_object())
    out.cached_tokens = num(u["prompt_tokens_details"], "cached_tokens");
  return out;
}

}  // namespace hearth::router::openai
