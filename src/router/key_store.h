// Virtual API keys for the gateway (`hearth keys create|list|revoke`): each has a name, an
// optional spend limit per day/month/all time, the models it may use, and requests- and
// tokens-per-minute limits. Only the SHA-256 of a key is stored ($HEARTH_HOME/keys.db, SQLite);
// the key itself is shown once, at creation. A running gateway sees new and revoked keys at its
// next request.
#pragma once
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "router/config.h"

namespace hearth::router {

struct VirtualKey {
  std::string name;
  std::string prefix;   // the key's first characters, to tell keys apart in listings
  std::string created;  // ISO 8601 UTC
  std::string revoked;  // "" = active
  double budget_usd = 0;  // 0 = no limit
  Period period = Period::month;
  std::vector<std::string> models;  // allowed model names; "*" suffix = prefix match; empty = all
  int rpm = 0, tpm = 0;             // 0 = no limit
  json to_json() const;
  // Whether a request for `model` (as the client named it) is allowed.
  bool allows(const std::string& model) const;
};

class KeyStore {
 public:
  explicit KeyStore(std::filesystem::path file);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // Creates a key and returns its secret (never stored). Throws Error(invalid_argument) on a bad
  // or taken name (revoked names stay taken: the ledger already records spend under them).
  std::string create(const VirtualKey& spec);
  std::vector<VirtualKey> list();
  // Throws Error(not_found) for an unknown name; revoking twice is not an error.
  void revoke(const std::string& name);
  // The active key whose secret this is.
  std::optional<VirtualKey> find(const std::string& secret);
  std::optional<VirtualKey> by_name(const std::string& name);
  bool any_active();
  const std::filesystem::path& file() const { return file_; }
  // $HEARTH_HOME/keys.db
  static std::filesystem::path default_path();

 private:
  void reload_if_changed();  // caller holds mu_
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* version_ = nullptr;  // PRAGMA data_version, prepared once: it runs on every request
  std::mutex mu_;
  int64_t data_version_ = -1;  // -1: reload (also after this connection's own writes, which
                               // data_version does not count)
  std::map<std::string, VirtualKey> by_hash_;  // active keys
  std::map<std::string, VirtualKey> by_name_;  // all keys
};

}  // namespace hearth::router
