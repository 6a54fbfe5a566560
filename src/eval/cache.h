// The request cache: every answered request (log-likelihood, generation, perplexity, judge
// verdict) is stored as soon as it arrives, keyed by a hash of the model and the request, so an
// interrupted run resumes where it stopped and a rerun costs nothing. SQLite in WAL mode.
#pragma once
#include <mutex>
#include <optional>
#include <string>

#include "core/json.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hearth::eval {

class RequestCache {
 public:
  // path empty: a disabled cache (every lookup misses, stores are dropped).
  explicit RequestCache(const std::string& path);
  ~RequestCache();
  RequestCache(const RequestCache&) = delete;
  RequestCache& operator=(const RequestCache&) = delete;

  std::optional<json> get(const std::string& key);
  void put(const std::string& key, const json& value);
  bool enabled() const { return db_ != nullptr; }

  // A stable 128-bit hex key for a request description.
  static std::string key(const std::string& model, const std::string& kind, const json& request);

 private:
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
};

}  // namespace hearth::eval
