#include "router/key_store.h"

#include <sodium.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/paths.h"
#include "core/sha256.h"

namespace hearth::router {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS keys ("
    "  name TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, created TEXT NOT NULL,"
    "  revoked TEXT, budget_usd REAL NOT NULL DEFAULT 0, period TEXT NOT NULL DEFAULT 'month',"
    "  models TEXT NOT NULL DEFAULT '[]', rpm INTEGER NOT NULL DEFAULT 0, tpm INTEGER NOT NULL DEFAULT 0);";

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) fail(Errc::io, std::string("key store: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s); }
  void text(int i, const std::string& v) { sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  std::string col(int i) {
    auto* p = sqlite3_column_text(s, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
};

void check_name(const std::string& n) {
  bool ok = !n.empty() && n.size() <= 64;
  for (char c : n) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  if (!ok) fail(Errc::invalid_argument, "key name '" + n + "' must be 1-64 letters, digits, '-', '_' or '.'");
}

}  // namespace

json VirtualKey::to_json() const {
  json j = {{"name", name}, {"prefix", prefix}, {"created", created}, {"active", revoked.empty()},
            {"budget_usd", budget_usd}, {"period", period_name(period)}, {"models", models}, {"rpm", rpm}, {"tpm", tpm}};
  if (!revoked.empty()) j["revoked"] = revoked;
  return j;
}

bool VirtualKey::allows(const std::string& model) const {
  if (models.empty()) return true;
  for (const auto& m : models) {
    if (m == model) return true;
    if (!m.empty() && m.back() == '*' && model.compare(0, m.size() - 1, m, 0, m.size() - 1) == 0) return true;
  }
  return false;
}

KeyStore::KeyStore(std::filesystem::path file) : file_(std::move(file)) {
  std::error_code ec;
  if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path(), ec);
  if (sqlite3_open(file_.c_str(), &db_) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail(Errc::io, file_.string() + ": cannot open the key store: " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  char* err = nullptr;
  if (sqlite3_exec(db_, kSchema, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    sqlite3_close(db_);
    db_ = nullptr;
    fail(Errc::format, file_.string() + ": not a usable key store: " + msg);
  }
  if (sqlite3_prepare_v2(db_, "PRAGMA data_version", -1, &version_, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    db_ = nullptr;
    fail(Errc::io, file_.string() + ": key store: " + msg);
  }
  ::chmod(file_.c_str(), 0600);
}

KeyStore::~KeyStore() {
  sqlite3_finalize(version_);
  sqlite3_close(db_);
}

std::filesystem::path KeyStore::default_path() { return hearth_home() / "keys.db"; }

void KeyStore::reload_if_changed() {
  // data_version changes when another connection (`hearth keys` in another process) commits.
  const int64_t version = sqlite3_step(version_) == SQLITE_ROW ? sqlite3_column_int64(version_, 0) : -2;
  sqlite3_reset(version_);
  if (version == data_version_) return;
  std::map<std::string, VirtualKey> hash_map, name_map;
  Stmt q(db_, "SELECT name, hash, prefix, created, revoked, budget_usd, period, models, rpm, tpm FROM keys ORDER BY created, name");
  while (sqlite3_step(q.s) == SQLITE_ROW) {
    VirtualKey k;
    k.name = q.col(0);
    k.prefix = q.col(2);
    k.created = q.col(3);
    k.revoked = q.col(4);
    k.budget_usd = sqlite3_column_double(q.s, 5);
    try {
      k.period = parse_period(q.col(6));
    } catch (const Error&) {
      k.period = Period::month;
    }
    auto models = json::parse(q.col(7), nullptr, false);
    if (models.is_array())
      for (const auto& m : models)
        if (m.is_string()) k.models.push_back(m.get<std::string>());
    k.rpm = sqlite3_column_int(q.s, 8);
    k.tpm = sqlite3_column_int(q.s, 9);
    if (k.revoked.empty()) hash_map[q.col(1)] = k;
    name_map[k.name] = k;
  }
  by_hash_ = std::move(hash_map);
  by_name_ = std::move(name_map);
  data_version_ = version;
}

std::string KeyStore::create(const VirtualKey& spec) {
  check_name(spec.name);
  if (spec.budget_usd < 0) fail(Errc::invalid_argument, "the budget must not be negative");
  if (spec.rpm < 0 || spec.tpm < 0) fail(Errc::invalid_argument, "rpm and tpm must not be negative");
  if (sodium_init() < 0) fail(Errc::internal, "libsodium failed to initialise");
  unsigned char raw[24];
  randombytes_buf(raw, sizeof raw);
  const std::string secret = "hk-" + to_hex(raw, sizeof raw);
  std::lock_guard<std::mutex> lk(mu_);
  Stmt ins(db_, "INSERT INTO keys (name, hash, prefix, created, budget_usd, period, models, rpm, tpm) VALUES (?,?,?,?,?,?,?,?,?)");
  ins.text(1, spec.name);
  ins.text(2, sha256_hex(secret));
  ins.text(3, secret.substr(0, 9));
  ins.text(4, utc_now_text());
  sqlite3_bind_double(ins.s, 5, spec.budget_usd);
  ins.text(6, period_name(spec.period));
  ins.text(7, json(spec.models).dump());
  sqlite3_bind_int(ins.s, 8, spec.rpm);
  sqlite3_bind_int(ins.s, 9, spec.tpm);
  const int rc = sqlite3_step(ins.s);
  if (rc == SQLITE_CONSTRAINT) fail(Errc::invalid_argument, "a key named '" + spec.name + "' exists already (names are never reused)");
  if (rc != SQLITE_DONE) fail(Errc::io, file_.string() + ": cannot save the key: " + sqlite3_errmsg(db_));
  data_version_ = -1;
  return secret;
}

std::vector<VirtualKey> KeyStore::list() {
  std::lock_guard<std::mutex> lk(mu_);
  reload_if_changed();
  std::vector<VirtualKey> out;
  for (const auto& [_, k] : by_name_) out.push_back(k);
  return out;
}

void KeyStore::revoke(const std::string& name) {
  std::lock_guard<std::mutex> lk(mu_);
  Stmt up(db_, "UPDATE keys SET revoked = COALESCE(revoked, ?) WHERE name = ?");
  up.text(1, utc_now_text());
  up.text(2, name);
  if (sqlite3_step(up.s) != SQLITE_DONE) fail(Errc::io, file_.string() + ": cannot revoke: " + sqlite3_errmsg(db_));
  if (sqlite3_changes(db_) == 0) fail(Errc::not_found, "no key named '" + name + "'");
  data_version_ = -1;
}

std::optional<VirtualKey> KeyStore::find(const std::string& secret) {
  if (secret.rfind("hk-", 0) != 0) return std::nullopt;
  const std::string h = sha256_hex(secret);
  std::lock_guard<std::mutex> lk(mu_);
  reload_if_changed();
  auto it = by_hash_.find(h);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

std::optional<VirtualKey> KeyStore::by_name(const std::string& name) {
  std::lock_guard<std::mutex> lk(mu_);
  reload_if_changed();
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

bool KeyStore::any_active() {
  std::lock_guard<std::mutex> lk(mu_);
  reload_if_changed();
  return !by_hash_.empty();
}

}  // namespace hearth::router
