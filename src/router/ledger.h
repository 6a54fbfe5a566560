// The privacy ledger: what left the machine (time, provider, model, tokens, cost, request id,
// memory ids, gateway key name; never a secret), appended to <dir>/YYYY-MM.jsonl.
//
// Each attempt at a remote provider writes two lines: a "sent" line that is in the file before the
// first byte goes out, and an outcome line (ok, an error kind, or cancelled, with the tokens
// seen) when it ends. write() puts a line in its file with one O_APPEND write, after which a kill
// of this process cannot lose it; a flusher thread then makes it durable (fdatasync), one
// fdatasync for every line written meanwhile (group commit), and sync() waits for that. Reading
// folds the pair into one record; a "sent" line with no outcome (the process was killed, or the
// call is still running) reads as status "sent" with the estimated input cost. Budgets read their
// spend back from it.
#pragma once
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "router/config.h"

namespace hearth::router {

struct LedgerRecord {
  std::string time;  // ISO 8601 UTC, set by append() when empty
  std::string request_id;
  std::string provider;
  std::string model;
  std::string key;     // gateway key name ("" = none)
  std::string status;  // "ok", an error kind, "cancelled", or "sent" (no outcome recorded)
  std::string attempt;  // joins an attempt's "sent" line to its outcome line
  bool sent_line = false;  // this is the line written before sending
  bool estimated = false;  // tokens are hearth's estimate (the provider reported none)
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
  ~Ledger();  // syncs what was written, then stops the flusher
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  const std::filesystem::path& dir() const { return dir_; }
  // Writes the line to its month's file and returns its sequence number; throws Error(io) when
  // it could not be written. The line is durable shortly after, without waiting here.
  uint64_t write(LedgerRecord r);
  // Returns once line `seq` and every line before it are durable; throws Error(io) when the
  // flush holding it failed.
  void sync(uint64_t seq);
  // write() then sync(): returns when the line is on disk.
  void append(LedgerRecord r) { sync(write(std::move(r))); }
  // Records with time >= since (a "YYYY-MM-DD" prefix compare; "" = all), each attempt's two
  // lines folded into one. Malformed lines are skipped and counted in *skipped.
  std::vector<LedgerRecord> read(const std::string& since = "", size_t* skipped = nullptr) const;
  uint64_t commits() const;  // flushes so far (for tests of the grouping)

 private:
  void flush_loop();
  // fdatasync of each month's file (and of the directory when a file was created); "" or the error.
  std::string sync_files(const std::set<std::string>& months, bool new_file) const;
  std::filesystem::path dir_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::thread flusher_;  // started by the first write
  bool stop_ = false;
  std::set<std::string> dirty_;  // months written since the last flush began
  bool new_file_ = false;
  uint64_t written_ = 0, durable_ = 0, commits_ = 0;
  std::deque<std::pair<std::pair<uint64_t, uint64_t>, std::string>> failed_;  // [from, to] -> error
};

std::string iso_now();

// Spend limits; spend is loaded from the ledger and kept current. Each call first reserves its
// worst-case cost, and is refused if spend plus what calls in flight have reserved plus that
// would pass a limit; when it ends the reservation is replaced by what it cost. So concurrent
// calls cannot together overshoot a budget.
class Budget {
 public:
  // A key's own limit (virtual keys): USD and period, or nullopt.
  using KeyLimit = std::function<std::optional<std::pair<double, Period>>(const std::string& key)>;
  Budget(BudgetConfig cfg, const Ledger* ledger);
  // Adds limits looked up per key (after those in the config); loads spend from the ledger if
  // that was not needed before.
  void set_key_limits(KeyLimit fn);
  // Whether any limit applies to calls with this key.
  bool limited(const std::string& key) const;
  // Throws ProviderError(budget) naming the limit, spend, reserved and this call's worst case.
  uint64_t reserve(const std::string& key, double worst_usd, const std::string& what);
  // Ends a reservation (0 = none): its worst case is released and `cost_usd` is spent.
  void settle(uint64_t reservation, const std::string& key, double cost_usd);
  // Spend in the current period (the config's, or the key's own); "" = global.
  double spent(const std::string& key = "") const;
  double spent(const std::string& key, Period period) const;
  double reserved(const std::string& key = "") const;  // by calls in flight

 private:
  std::optional<std::pair<double, Period>> key_limit(const std::string& key) const;
  double spent_locked(const std::string& key, Period period) const;
  void load(const Ledger* ledger);
  BudgetConfig cfg_;
  const Ledger* ledger_ = nullptr;
  bool loaded_ = false;
  KeyLimit key_limits_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, double>> spend_;  // key ("" = all) -> UTC day -> USD
  struct Hold {
    std::string key;
    double usd;
  };
  std::map<uint64_t, Hold> holds_;
  uint64_t next_hold_ = 1;
};

}  // namespace hearth::router
