// Where the memories of a scope may be sent. Every scope has a policy: `local-only` (only to models
// on this machine: the in-process engine and providers configured with `remote: false`),
// `any-provider`, or a list of provider names (local models are always allowed). Policies are set
// per scope or per prefix pattern ("project:*"); the most specific pattern decides: the exact
// scope, then the longest "prefix*" pattern, then "*", then any-provider. Built in: "project:*"
// and "private" are local-only. Saved as {"scope_policies": {PATTERN: POLICY}} in the memory
// folder's config.json, over the built-in ones.
#pragma once
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace hearth::memory {

struct ScopePolicy {
  enum class Kind { local_only, any_provider, providers };
  Kind kind = Kind::any_provider;
  std::vector<std::string> providers;  // Kind::providers
  std::string text() const;            // "local-only", "any-provider" or "openai,anthropic"
  // May a memory under this policy go to `provider`? `remote` is the provider's remote flag.
  bool allows(const std::string& provider, bool remote) const;
  bool operator==(const ScopePolicy&) const = default;
};

// "local-only", "any-provider" or a comma-separated list of provider names. Throws
// Error(invalid_argument) naming `where` for anything else.
ScopePolicy parse_scope_policy(const std::string& text, const std::string& where);

class ScopePolicies {
 public:
  ScopePolicies();  // the built-in policies
  // A pattern is a scope, "prefix*" (e.g. "project:*") or "*"; throws on an empty pattern or a
  // '*' anywhere but at the end.
  void set(const std::string& pattern, ScopePolicy policy);
  // Removes a saved pattern (a built-in one returns to its built-in policy). False if none.
  bool unset(const std::string& pattern);
  struct Decision {
    std::string pattern;  // the pattern that decided ("" for the fallback any-provider)
    ScopePolicy policy;
  };
  Decision lookup(const std::string& scope) const;
  bool allows(const std::string& scope, const std::string& provider, bool remote) const {
    return lookup(scope).policy.allows(provider, remote);
  }
  const std::map<std::string, ScopePolicy>& entries() const { return entries_; }
  // Patterns differing from the built-in ones (what config.json stores).
  std::map<std::string, ScopePolicy> overrides() const;

 private:
  std::map<std::string, ScopePolicy> entries_;
};

// Reads "scope_policies" from `config` (missing file or key: the built-in policies). A bad entry
// is an Error(format) naming the file and the pattern.
ScopePolicies load_scope_policies(const std::filesystem::path& config);
// Writes the overrides into `config`, keeping its other keys.
void save_scope_policies(const std::filesystem::path& config, const ScopePolicies& policies);

// The policies of one config.json for a long-running server: re-read when the file changes, so a
// `hearth memory policy` takes effect at the next request. A file that has turned bad keeps the
// last good policies (and logs why).
class ScopePolicyFile {
 public:
  explicit ScopePolicyFile(std::filesystem::path config);
  ScopePolicies current();

 private:
  std::filesystem::path path_;
  std::mutex mu_;
  std::filesystem::file_time_type seen_{};
  bool exists_ = false;
  ScopePolicies policies_;
};

}  // namespace hearth::memory
