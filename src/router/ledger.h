// The privacy ledger: one JSON line per request that left the machine (time, provider, model,
// tokens, cost, request id, memory ids, gateway key name; never a secret), appended to
// <dir>/YYYY-MM.jsonl with O_APPEND and fsync so a crash loses at most the record in flight.
// Budgets read their spend back from it.
#pragma once
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "router/config.h"

namespace hearth::router {

struct LedgerRecord {
  std::string time;  // ISO 8601 UTC, set by append() when empty
  std::string request_id;
  std::string provider;
  std::string model;
  std::string key;     // gateway key name ("" = none)
  std::string status;  // "ok" or an error kind
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  double cost_usd = 0;
  std::vector<std::string> memory_ids;
  json to_json() const;
  static LedgerRecord from_json(const json& j);
};

class Ledger {
 public:
  explicit Ledger(std::filesystem::path dir);
  const std::filesystem::path& dir() const { return dir_; }
  void append(LedgerRecord r);
  // Records with time >= since (a "YYYY-MM-DD" prefix compare; "" = all). Malformed lines are
  // skipped and counted in *skipped.
  std::vector<LedgerRecord> read(const std::string& since = "", size_t* skipped = nullptr) const;

 private:
  std::filesystem::path dir_;
  std::mutex mu_;
};

std::string iso_now();

// Spend limits checked before each call; spend is loaded from the ledger and kept current.
class Budget {
 public:
  Budget(BudgetConfig cfg, const Ledger* ledger);
  // Throws ProviderError(budget) when the global or the key's limit is already spent.
  void check(const std::string& key) const;
  void add(const std::string& key, double cost_usd);
  double spent(const std::string& key = "") const;  // "" = global

 private:
  std::string period_key(const std::string& iso_time) const;
  BudgetConfig cfg_;
  mutable std::mutex mu_;
  std::map<std::string, double> global_;                          // period -> spend
  std::map<std::string, std::map<std::string, double>> per_key_;  // period -> key -> spend
};

}  // namespace hearth::router
