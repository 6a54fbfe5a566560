#include "router/types.h"

#include <algorithm>
#include <cctype>

namespace hearth::router {

const char* role_name(Role r) {
  switch (r) {
    case Role::system: return "system";
    case Role::user: return "user";
    case Role::assistant: return "assistant";
    case Role::tool: return "tool";
  }
  return "user";
}

Role parse_role(const std::string& s) {
  if (s == "system" || s == "developer") return Role::system;
  if (s == "user") return Role::user;
  if (s == "assistant") return Role::assistant;
  if (s == "tool" || s == "function") return Role::tool;
  throw ProviderError(ErrorKind::bad_request, "unknown message role '" + s + "'");
}

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::stop: return "stop";
    case StopReason::length: return "length";
    case StopReason::tool_calls: return "tool_calls";
    case StopReason::content_filter: return "content_filter";
    case StopReason::unknown: return "unknown";
  }
  return "unknown";
}

const char* error_kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::auth: return "auth";
    case ErrorKind::rate_limit: return "rate_limit";
    case ErrorKind::context_length: return "context_length";
    case ErrorKind::overloaded: return "overloaded";
    case ErrorKind::bad_request: return "bad_request";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::network: return "network";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::server: return "server";
    case ErrorKind::budget: return "budget";
    case ErrorKind::refused: return "refused";
    case ErrorKind::cancelled: return "cancelled";
    case ErrorKind::unsupported: return "unsupported";
  }
  return "server";
}

static Errc to_errc(ErrorKind k) {
  switch (k) {
    case ErrorKind::auth: return Errc::auth;
    case ErrorKind::rate_limit: return Errc::rate_limited;
    case ErrorKind::context_length: return Errc::out_of_range;
    case ErrorKind::overloaded: return Errc::overloaded;
    case ErrorKind::bad_request: return Errc::invalid_argument;
    case ErrorKind::not_found: return Errc::not_found;
    case ErrorKind::network:
    case ErrorKind::timeout:
    case ErrorKind::server: return Errc::network;
    case ErrorKind::budget: return Errc::out_of_range;
    case ErrorKind::refused: return Errc::auth;
    case ErrorKind::cancelled: return Errc::cancelled;
    case ErrorKind::unsupported: return Errc::unsupported;
  }
  return Errc::internal;
}

ProviderError::ProviderError(ErrorKind kind, const std::string& message, int http_status,
                             double retry_after_s)
    : Error(to_errc(kind), message), kind_(kind), status_(http_status), retry_after_(retry_after_s) {}

bool ProviderError::retryable() const {
  return kind_ == ErrorKind::rate_limit || kind_ == ErrorKind::overloaded ||
         kind_ == ErrorKind::server || kind_ == ErrorKind::timeout || kind_ == ErrorKind::network;
}

int ProviderError::gateway_status() const {
  switch (kind_) {
    case ErrorKind::auth: return 401;
    case ErrorKind::rate_limit: return 429;
    case ErrorKind::context_length:
    case ErrorKind::bad_request:
    case ErrorKind::unsupported: return 400;
    case ErrorKind::not_found: return 404;
    case ErrorKind::overloaded: return 503;
    case ErrorKind::network:
    case ErrorKind::server: return 502;
    case ErrorKind::timeout: return 504;
    case ErrorKind::budget: return 402;
    case ErrorKind::refused: return 403;
    case ErrorKind::cancelled: return 499;
  }
  return 500;
}

static bool mentions(std::string text, std::initializer_list<const char*> needles) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* n : needles)
    if (text.find(n) != std::string::npos) return true;
  return false;
}

ProviderError error_from_http(int status, const std::string& message, double retry_after_s) {
  std::string m = "HTTP " + std::to_string(status) + ": " + message;
  if (status == 401 || status == 403) return ProviderError(ErrorKind::auth, m, status);
  if (status == 429) return ProviderError(ErrorKind::rate_limit, m, status, retry_after_s);
  if (status == 404) return ProviderError(ErrorKind::not_found, m, status);
  if (status == 408) return ProviderError(ErrorKind::timeout, m, status);
  if (status == 503 || status == 529) return ProviderError(ErrorKind::overloaded, m, status, retry_after_s);
  if (status >= 500) return ProviderError(ErrorKind::server, m, status, retry_after_s);
  if (mentions(message, {"context length", "context_length", "too long", "maximum context", "too many tokens"}))
    return ProviderError(ErrorKind::context_length, m, status);
  return ProviderError(ErrorKind::bad_request, m, status);
}

json RouteInfo::to_json() const {
  json a = json::array();
  for (const auto& t : attempts) {
    json j = {{"provider", t.provider}, {"model", t.model}, {"status", t.status},
              {"latency_ms", t.latency_ms}};
    if (!t.error.empty()) j["error"] = t.error;
    if (t.http_status) j["http_status"] = t.http_status;
    a.push_back(std::move(j));
  }
  return {{"provider", provider}, {"model", model},     {"attempts", a},
          {"latency_ms", latency_ms}, {"ttft_ms", ttft_ms}, {"overhead_ms", overhead_ms}, {"cost_usd", cost_usd}};
}

void Accumulator::add(const StreamEvent& e) {
  switch (e.kind) {
    case StreamEvent::Kind::start:
      if (!e.response_id.empty()) r_.id = e.response_id;
      if (!e.model.empty()) r_.model = e.model;
      break;
    case StreamEvent::Kind::text:
      r_.message.content += e.text;
      r_.logprobs.insert(r_.logprobs.end(), e.logprobs.begin(), e.logprobs.end());
      if (!e.echo) content_ = true;
      break;
    case StreamEvent::Kind::reasoning:
      r_.message.reasoning += e.text;
      content_ = true;
      break;
    case StreamEvent::Kind::tool_call: {
      auto& calls = r_.message.tool_calls;
      if (e.index < 0 || e.index > 1024) throw ProviderError(ErrorKind::server, "tool call index out of range");
      if (calls.size() <= static_cast<size_t>(e.index)) calls.resize(e.index + 1);
      auto& c = calls[e.index];
      if (!e.id.empty()) c.id = e.id;
      if (!e.name.empty()) c.name = e.name;
      c.arguments += e.arguments;
      content_ = true;
      break;
    }
    case StreamEvent::Kind::usage:
      if (e.usage.input_tokens) r_.usage.input_tokens = e.usage.input_tokens;
      if (e.usage.output_tokens) r_.usage.output_tokens = e.usage.output_tokens;
      if (e.usage.cached_tokens) r_.usage.cached_tokens = e.usage.cached_tokens;
      break;
    case StreamEvent::Kind::finish:
      r_.stop = e.stop;
      r_.stop_sequence = e.stop_sequence;
      break;
  }
}

ChatResponse Accumulator::take() { return std::move(r_); }

std::string string_field(const json& o, const char* key, const std::string& where, const std::string& fallback) {
  if (!o.is_object()) return fallback;
  const auto it = o.find(key);
  if (it == o.end() || it->is_null()) return fallback;
  if (!it->is_string()) {
    const std::string field = where.empty() ? std::string(key) : where + "." + key;
    throw ProviderError(ErrorKind::bad_request, "'" + field + "' must be a string").with_param(field);
  }
  return it->get<std::string>();
}

ProviderError bad_field(const std::string& field, const std::string& what) {
  return ProviderError(ErrorKind::bad_request, "'" + field + "' " + what).with_param(field);
}

}  // namespace hearth::router
