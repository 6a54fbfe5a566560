#include "memory/scope_policy.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "memory/embed_settings.h"

namespace hearth::memory {

namespace {

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool matches(const std::string& pattern, const std::string& scope) {
  if (pattern.empty() || pattern.back() != '*') return pattern == scope;
  return scope.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
}

const std::map<std::string, ScopePolicy>& builtins() {
  static const std::map<std::string, ScopePolicy> b = {{"project:*", {ScopePolicy::Kind::local_only, {}}},
                                                       {"private", {ScopePolicy::Kind::local_only, {}}}};
  return b;
}

}  // namespace

std::string ScopePolicy::text() const {
  switch (kind) {
    case Kind::local_only: return "local-only";
    case Kind::any_provider: return "any-provider";
    case Kind::providers: break;
  }
  std::string out;
  for (const auto& p : providers) out += (out.empty() ? "" : ",") + p;
  return out;
}

bool ScopePolicy::allows(const std::string& provider, bool remote) const {
  if (!remote) return true;  // it stays on this machine
  switch (kind) {
    case Kind::local_only: return false;
    case Kind::any_provider: return true;
    case Kind::providers: return std::find(providers.begin(), providers.end(), provider) != providers.end();
  }
  return false;
}

ScopePolicy parse_scope_policy(const std::string& text, const std::string& where) {
  const std::string t = trim(text);
  if (t == "local-only") return {ScopePolicy::Kind::local_only, {}};
  if (t == "any-provider") return {ScopePolicy::Kind::any_provider, {}};
  ScopePolicy p{ScopePolicy::Kind::providers, {}};
  size_t start = 0;
  while (start <= t.size()) {
    const size_t comma = std::min(t.find(',', start), t.size());
    const std::string name = trim(t.substr(start, comma - start));
    const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '-' || c == '_' || c == '.';
    });
    if (!ok)
      fail(Errc::invalid_argument, where + ": policy \"" + text +
                                       "\" is not local-only, any-provider or a comma-separated list of provider names");
    p.providers.push_back(name);
    start = comma + 1;
  }
  return p;
}

ScopePolicies::ScopePolicies() : entries_(builtins()) {}

void ScopePolicies::set(const std::string& pattern, ScopePolicy policy) {
  const auto star = pattern.find('*');
  if (pattern.empty() || (star != std::string::npos && star + 1 != pattern.size()))
    fail(Errc::invalid_argument, "scope pattern \"" + pattern + "\" must be a scope, PREFIX* or *");
  entries_[pattern] = std::move(policy);
}

bool ScopePolicies::unset(const std::string& pattern) {
  auto it = entries_.find(pattern);
  if (it == entries_.end()) return false;
  auto b = builtins().find(pattern);
  if (b != builtins().end()) {
    if (it->second == b->second) return false;
    it->second = b->second;
  } else {
    entries_.erase(it);
  }
  return true;
}

ScopePolicies::Decision ScopePolicies::lookup(const std::string& scope) const {
  if (auto it = entries_.find(scope); it != entries_.end()) return {it->first, it->second};
  const std::pair<const std::string, ScopePolicy>* best = nullptr;
  for (const auto& e : entries_)
    if (e.first.back() == '*' && matches(e.first, scope) && (!best || e.first.size() > best->first.size())) best = &e;
  if (best) return {best->first, best->second};
  return {"", {}};
}

std::map<std::string, ScopePolicy> ScopePolicies::overrides() const {
  std::map<std::string, ScopePolicy> out;
  for (const auto& [pattern, policy] : entries_) {
    auto b = builtins().find(pattern);
    if (b == builtins().end() || !(b->second == policy)) out.emplace(pattern, policy);
  }
  return out;
}

ScopePolicies load_scope_policies(const std::filesystem::path& config) {
  ScopePolicies p;
  const json j = read_memory_config(config);
  auto it = j.find("scope_policies");
  if (it == j.end()) return p;
  if (!it->is_object()) fail(Errc::format, config.string() + ": \"scope_policies\" must be an object");
  for (const auto& [pattern, v] : it->items()) {
    const std::string where = config.string() + ": scope_policies[\"" + pattern + "\"]";
    if (!v.is_string()) fail(Errc::format, where + " must be a string");
    try {
      p.set(pattern, parse_scope_policy(v.get<std::string>(), where));
    } catch (const Error& e) {
      fail(Errc::format, e.what());
    }
  }
  return p;
}

void save_scope_policies(const std::filesystem::path& config, const ScopePolicies& policies) {
  json j = read_memory_config(config);
  json o = json::object();
  for (const auto& [pattern, policy] : policies.overrides()) o[pattern] = policy.text();
  if (o.empty()) j.erase("scope_policies");
  else j["scope_policies"] = o;
  write_memory_config(config, j);
}

ScopePolicyFile::ScopePolicyFile(std::filesystem::path config) : path_(std::move(config)) {
  std::error_code ec;
  seen_ = std::filesystem::last_write_time(path_, ec);
  exists_ = !ec;
  policies_ = load_scope_policies(path_);  // a bad file at startup is an error the user sees
}

ScopePolicies ScopePolicyFile::current() {
  std::lock_guard<std::mutex> lk(mu_);
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(path_, ec);
  const bool exists = !ec;
  if (exists != exists_ || (exists && t != seen_)) {
    seen_ = exists ? t : std::filesystem::file_time_type{};
    exists_ = exists;
    try {
      policies_ = load_scope_policies(path_);
    } catch (const std::exception& e) {
      log::warn(std::string("memory: keeping the previous scope policies: ") + e.what());
    }
  }
  return policies_;
}

}  // namespace hearth::memory
