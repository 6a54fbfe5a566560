#include "eval/cache.h"

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>

#include "core/error.h"

namespace hearth::eval {
namespace {

uint64_t fnv1a(const std::string& s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string RequestCache::key(const std::string& model, const std::string& kind, const json& request) {
  std::string s = model + '\x1f' + kind + '\x1f' + request.dump();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(fnv1a(s, 14695981039346656037ull)),
                static_cast<unsigned long long>(fnv1a(s, 0x9e3779b97f4a7c15ull)));
  return buf;
}

RequestCache::RequestCache(const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail(Errc::io, path + ": cannot open the eval request cache: " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  const char* init =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS requests (key TEXT PRIMARY KEY, value TEXT NOT NULL, created INTEGER NOT NULL);";
  char* err = nullptr;
  if (sqlite3_exec(db_, init, nullptr, nullptr, &err) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "SELECT value FROM requests WHERE key = ?", -1, &get_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO requests (key, value, created) VALUES (?, ?, strftime('%s','now'))",
                         -1, &put_, nullptr) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    sqlite3_finalize(get_);
    sqlite3_finalize(put_);
    sqlite3_close(db_);
    db_ = nullptr;
    fail(Errc::format, path + ": not a usable eval request cache: " + msg);
  }
}

RequestCache::~RequestCache() {
  sqlite3_finalize(get_);
  sqlite3_finalize(put_);
  sqlite3_close(db_);
}

std::optional<json> RequestCache::get(const std::string& key) {
  if (!db_) return std::nullopt;
  std::lock_guard lk(mu_);
  sqlite3_reset(get_);
  sqlite3_bind_text(get_, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  std::optional<json> out;
  if (sqlite3_step(get_) == SQLITE_ROW) {
    const char* v = reinterpret_cast<const char*>(sqlite3_column_text(get_, 0));
    try {
      out = json::parse(v ? v : "null");
    } catch (const std::exception&) {
      out.reset();  // a damaged entry is recomputed
    }
  }
  sqlite3_reset(get_);
  return out;
}

void RequestCache::put(const std::string& key, const json& value) {
  if (!db_) return;
  std::lock_guard lk(mu_);
  std::string v = value.dump();
  sqlite3_reset(put_);
  sqlite3_bind_text(put_, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(put_, 2, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  int rc = sqlite3_step(put_);
  sqlite3_reset(put_);
  if (rc != SQLITE_DONE) fail(Errc::io, std::string("eval request cache write failed: ") + sqlite3_errmsg(db_));
}

}  // namespace hearth::eval
