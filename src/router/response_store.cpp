#include "router/response_store.h"

#include <fstream>
#include <sstream>

#include "core/log.h"

namespace hearth::router {

namespace fs = std::filesystem;

json message_to_json(const Message& m) {
  json j = {{"role", role_name(m.role)}, {"content", m.content}};
  if (!m.reasoning.empty()) j["reasoning"] = m.reasoning;
  if (!m.tool_calls.empty()) {
    j["tool_calls"] = json::array();
    for (const auto& c : m.tool_calls) j["tool_calls"].push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
  }
  if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
  if (!m.name.empty()) j["name"] = m.name;
  return j;
}

Message message_from_json(const json& j) {
  if (!j.is_object()) throw ProviderError(ErrorKind::server, "stored response: a message is not an object");
  Message m;
  m.role = parse_role(string_field(j, "role", "message"));
  m.content = string_field(j, "content", "message");
  m.reasoning = string_field(j, "reasoning", "message");
  if (j.contains("tool_calls") && j["tool_calls"].is_array())
    for (const auto& c : j["tool_calls"])
      m.tool_calls.push_back({string_field(c, "id", "tool_calls"), string_field(c, "name", "tool_calls"),
                              string_field(c, "arguments", "tool_calls")});
  m.tool_call_id = string_field(j, "tool_call_id", "message");
  m.name = string_field(j, "name", "message");
  return m;
}

ResponseStore::ResponseStore(fs::path dir, std::chrono::seconds retention) : dir_(std::move(dir)), retention_(retention) {}

bool ResponseStore::valid_id(const std::string& id) {
  if (id.size() < 6 || id.size() > 100 || id.rfind("resp_", 0) != 0) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

fs::path ResponseStore::file(const std::string& id) const { return dir_ / (id + ".json"); }

void ResponseStore::save(const std::string& id, const StoredResponse& r) {
  if (!enabled() || !valid_id(id)) return;
  std::lock_guard<std::mutex> lk(mu_);
  std::error_code ec;
  fs::create_directories(dir_, ec);
  json j = {{"response", r.response}, {"messages", json::array()}, {"api_key_id", r.api_key_id}};
  for (const auto& m : r.messages) j["messages"].push_back(message_to_json(m));
  // Written aside and renamed, so a reader never sees half a file.
  const fs::path tmp = file(id).string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump();
    if (!out) {
      log::warn("responses: could not write " + tmp.string());
      return;
    }
  }
  fs::rename(tmp, file(id), ec);
  if (ec) log::warn("responses: could not store " + id + ": " + ec.message());
  prune();
}

std::optional<StoredResponse> ResponseStore::load(const std::string& id, const std::string& api_key_id) {
  if (!enabled() || !valid_id(id)) return std::nullopt;
  std::lock_guard<std::mutex> lk(mu_);
  prune();
  std::error_code ec;
  const auto written = fs::last_write_time(file(id), ec);
  if (ec || written < fs::file_time_type::clock::now() - retention_) return std::nullopt;
  std::ifstream in(file(id), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("response")) {
    log::warn("responses: " + file(id).string() + " is damaged; ignoring it");
    return std::nullopt;
  }
  StoredResponse r;
  r.api_key_id = j.contains("api_key_id") && j["api_key_id"].is_string() ? j["api_key_id"].get<std::string>() : "";
  if (r.api_key_id != api_key_id) return std::nullopt;
  r.response = j["response"];
  try {
    if (j.contains("messages") && j["messages"].is_array())
      for (const auto& m : j["messages"]) r.messages.push_back(message_from_json(m));
  } catch (const Error& e) {
    log::warn("responses: " + file(id).string() + " has a damaged message (" + e.what() + "); ignoring it");
    return std::nullopt;
  }
  return r;
}

bool ResponseStore::remove(const std::string& id, const std::string& api_key_id) {
  if (!load(id, api_key_id)) return false;
  std::lock_guard<std::mutex> lk(mu_);
  std::error_code ec;
  return fs::remove(file(id), ec);
}

void ResponseStore::prune() {
  const auto now = std::chrono::steady_clock::now();
  if (last_prune_ != std::chrono::steady_clock::time_point{} && now - last_prune_ < std::chrono::minutes(1)) return;
  last_prune_ = now;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return;
  const auto cutoff = fs::file_time_type::clock::now() - retention_;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.path().extension() != ".json") continue;
    std::error_code ec2;
    if (e.last_write_time(ec2) < cutoff && !ec2) fs::remove(e.path(), ec2);
  }
}

}  // namespace hearth::router
