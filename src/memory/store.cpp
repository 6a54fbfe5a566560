#include "memory/store.h"

#include <sodium.h>

#include "core/error.h"
#include "core/paths.h"
#include "memory/embed_settings.h"
#include "memory/sqlite_util.h"
#include "memory/vector_cache.h"

namespace hearth::memory {

namespace {

constexpr int kSchemaVersion = 1;

const char* kSchemaV1 = R"sql(
CREATE TABLE memories(
  rid INTEGER PRIMARY KEY,
  id TEXT UNIQUE NOT NULL,
  kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  text TEXT NOT NULL,
  tags TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  importance REAL NOT NULL,
  deleted INTEGER NOT NULL,
  doc TEXT NOT NULL);
CREATE INDEX memories_filter ON memories(deleted, scope, kind);
CREATE INDEX memories_created ON memories(created, id);
CREATE VIRTUAL TABLE memories_fts USING fts5(text, tags, content='memories', content_rowid='rid',
                                             tokenize='porter unicode61');
CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts(rowid, text, tags) VALUES (new.rid, new.text, new.tags);
END;
CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, text, tags) VALUES ('delete', old.rid, old.text, old.tags);
END;
CREATE TRIGGER memories_au AFTER UPDATE ON memories BEGIN
  INSERT INTO memories_fts(memories_fts, rowid, text, tags) VALUES ('delete', old.rid, old.text, old.tags);
  INSERT INTO memories_fts(rowid, text, tags) VALUES (new.rid, new.text, new.tags);
END;
CREATE TABLE vectors(
  id TEXT NOT NULL,
  model TEXT NOT NULL,
  dim INTEGER NOT NULL,
  vec BLOB NOT NULL,
  PRIMARY KEY(id, model));
CREATE TABLE changes(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  batch INTEGER NOT NULL,
  at INTEGER NOT NULL,
  id TEXT NOT NULL,
  before TEXT,
  after TEXT);
CREATE INDEX changes_batch ON changes(batch);
)sql";

Record parse_doc(const std::string& doc, const std::string& id) {
  try {
    return record_from_json(json::parse(doc), "memory database record " + id);
  } catch (const json::exception& e) {
    fail(Errc::format, "memory database record " + id + " is not valid JSON: " + e.what());
  }
}

}  // namespace

SearchMode parse_search_mode(const std::string& s) {
  if (s == "bm25") return SearchMode::bm25;
  if (s == "vector") return SearchMode::vector;
  if (s == "hybrid") return SearchMode::hybrid;
  fail(Errc::invalid_argument, "unknown search mode \"" + s + "\" (bm25, vector, hybrid)");
}

std::filesystem::path Store::default_path() { return hearth_dir("memory") / "memory.db"; }

Store::Store(const std::filesystem::path& db_path, Embedder* embedder)
    : embedder_(embedder), path_(db_path.string()), cache_(std::make_unique<VectorCache>()),
      doclens_(std::make_unique<DocLengths>()) {
  if (sodium_init() < 0) fail(Errc::internal, "libsodium failed to initialise");
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    fail(Errc::io, "cannot open memory database " + path_ + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, 10000);
    exec("PRAGMA journal_mode=WAL");
    // FULL: a commit is fsynced before it returns, so an acknowledged write survives a crash.
    exec("PRAGMA synchronous=FULL");
    exec("PRAGMA foreign_keys=ON");
    // Searches touch many index pages; map the file instead of a pread per page, and keep a
    // larger page cache (both only cost address space / memory on demand).
    exec("PRAGMA mmap_size=1073741824");
    exec("PRAGMA cache_size=-65536");
    migrate();
    register_fts_rank(db_);
    max_bytes_ = load_max_memory_bytes(memory_config_path(db_path));
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Store::~Store() {
  if (db_) sqlite3_close(db_);
}

void Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    sqlite_fail(db_, std::string("SQL failed (") + msg + ")");
  }
}

void Store::migrate() {
  begin_write();
  try {
    Stmt v(db_, "PRAGMA user_version");
    v.step();
    int version = static_cast<int>(v.i64(0));
    if (version > kSchemaVersion)
      fail(Errc::unsupported, "memory database " + path_ + " has schema version " + std::to_string(version) +
                                  ", newer than this hearth understands (" + std::to_string(kSchemaVersion) + ")");
    if (version < 1) exec(kSchemaV1);
    // Later migrations go here: if (version < 2) { ... }
    if (version != kSchemaVersion) exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
    commit();
  } catch (...) {
    rollback();
    throw;
  }
}

void Store::begin_write() {
  if (batch_id_) return;  // already inside batch()
  exec("BEGIN IMMEDIATE");
}
void Store::commit() {
  if (batch_id_) return;
  exec("COMMIT");
  sync_cache();
}
void Store::rollback() {
  if (batch_id_) return;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  touched_.clear();  // the cache only ever reflects committed rows
}

void Store::batch(const std::function<void()>& fn) {
  std::lock_guard lock(mu_);
  if (batch_id_) {
    fn();
    return;
  }
  exec("BEGIN IMMEDIATE");
  Stmt b(db_, "SELECT COALESCE(MAX(batch), 0) + 1 FROM changes");
  b.step();
  batch_id_ = b.i64(0);
  try {
    fn();
    batch_id_ = 0;
    exec("COMMIT");
  } catch (...) {
    batch_id_ = 0;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    touched_.clear();
    throw;
  }
  sync_cache();
}

// Writes the row and its undo entry; the caller holds a write transaction.
void Store::write_record(const Record& r, const std::optional<Record>& before) {
  std::string doc = to_json(r).dump();
  Stmt up(db_,
          "INSERT INTO memories(id, kind, scope, text, tags, created, updated, expires, importance, deleted, doc) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
          "ON CONFLICT(id) DO UPDATE SET kind=?2, scope=?3, text=?4, tags=?5, created=?6, updated=?7, expires=?8, "
          "importance=?9, deleted=?10, doc=?11");
  up.bind(1, r.id).bind(2, r.kind).bind(3, r.scope).bind(4, r.text).bind(5, json(r.tags).dump());
  up.bind(6, r.created).bind(7, r.updated).bind(8, r.expires).bind(9, r.importance);
  up.bind(10, int64_t(r.deleted ? 1 : 0)).bind(11, doc);
  up.run();
  int64_t batch = batch_id_;
  if (!batch) {
    Stmt b(db_, "SELECT COALESCE(MAX(batch), 0) + 1 FROM changes");
    b.step();
    batch = b.i64(0);
  }
  Stmt ch(db_, "INSERT INTO changes(batch, at, id, before, after) VALUES (?1, ?2, ?3, ?4, ?5)");
  ch.bind(1, batch).bind(2, now_ms()).bind(3, r.id);
  if (before) ch.bind(4, to_json(*before).dump()); else ch.bind_null(4);
  ch.bind(5, doc);
  ch.run();
  touched_.push_back(r.id);
}

void Store::store_vector(const std::string& id, const std::vector<float>& v) {
  Stmt del(db_, "DELETE FROM vectors WHERE id=?1");
  del.bind(1, id).run();
  if (v.empty() || !embedder_) return;
  Stmt ins(db_, "INSERT INTO vectors(id, model, dim, vec) VALUES (?1, ?2, ?3, ?4)");
  ins.bind(1, id).bind(2, embedder_->name()).bind(3, int64_t(v.size())).bind_blob(4, v.data(), v.size() * sizeof(float));
  ins.run();
}

std::vector<float> Store::embed_text(const std::string& text) {
  if (!embedder_) return {};
  auto vs = embedder_->embed({text});
  return vs.empty() ? std::vector<float>{} : std::move(vs[0]);
}

void Store::check_size(const Record& r) const {
  if (r.deleted || r.text.size() <= max_bytes_) return;
  fail(Errc::invalid_argument, "memory " + r.id + " is " + std::to_string(r.text.size()) +
                                   " bytes; a memory may hold at most " + std::to_string(max_bytes_) +
                                   " (max_memory_bytes in the memory folder's config.json)");
}

void Store::put(const Record& r, bool embed_now) {
  std::lock_guard lock(mu_);
  check_size(r);
  auto before = get(r.id);
  // Without embed_now the vector is computed by the next vector search, in batches.
  auto v = r.deleted || !embed_now ? std::vector<float>{} : embed_text(r.text);
  begin_write();
  try {
    write_record(r, before);
    store_vector(r.id, v);
    commit();
  } catch (...) {
    rollback();
    throw;
  }
}

Record Store::add(Record r, const std::string& by) {
  std::lock_guard lock(mu_);
  if (r.id.empty()) r.id = new_id();
  int64_t now = now_ms();
  if (!r.created) r.created = now;
  if (!r.updated) r.updated = r.created;
  if (r.source.provider.empty()) r.source.provider = by;
  if (!r.source.time) r.source.time = r.created;
  // Validate through the same path as imports so the CLI cannot store what a bundle refuses.
  record_from_json(json::parse(to_json(r).dump()), "new memory");
  if (get(r.id)) fail(Errc::invalid_argument, "a memory with id " + r.id + " already exists");
  put(r);
  return r;
}

Record Store::update(const std::string& id, const RecordPatch& p, const std::string& by) {
  std::lock_guard lock(mu_);
  auto cur = get(id);
  if (!cur || cur->deleted) fail(Errc::not_found, "no memory with id " + id);
  Record r = *cur;
  bool text_changed = p.text && *p.text != r.text;
  if (p.text) r.text = *p.text;
  if (p.kind) r.kind = *p.kind;
  if (p.scope) r.scope = *p.scope;
  if (p.tags) r.tags = *p.tags;
  if (p.confidence) r.confidence = *p.confidence;
  if (p.importance) r.importance = *p.importance;
  if (p.expires) r.expires = *p.expires;
  if (r == *cur) return r;
  if (text_changed) check_size(r);
  r.updated = std::max(now_ms(), cur->updated + 1);
  r.history.push_back({r.updated, "update", cur->text, by});
  record_from_json(json::parse(to_json(r).dump()), "edited memory " + id);
  auto v = text_changed ? embed_text(r.text) : std::vector<float>{};
  begin_write();
  try {
    write_record(r, cur);
    if (text_changed) store_vector(r.id, v);
    commit();
  } catch (...) {
    rollback();
    throw;
  }
  return r;
}

Record Store::forget(const std::string& id, const std::string& by) {
  std::lock_guard lock(mu_);
  auto cur = get(id);
  if (!cur || cur->deleted) fail(Errc::not_found, "no memory with id " + id);
  Record r = *cur;
  r.deleted = true;
  r.updated = std::max(now_ms(), cur->updated + 1);
  r.history.push_back({r.updated, "delete", cur->text, by});
  begin_write();
  try {
    write_record(r, cur);
    commit();
  } catch (...) {
    rollback();
    throw;
  }
  return r;
}

std::vector<std::string> ids_of(const std::vector<Undone>& undone) {
  std::vector<std::string> ids;
  for (const auto& u : undone) ids.push_back(u.id);
  return ids;
}

std::vector<Undone> Store::undo() {
  std::lock_guard lock(mu_);
  std::vector<std::string> touched;
  std::vector<Undone> done;
  exec("BEGIN IMMEDIATE");
  try {
    Stmt last(db_, "SELECT MAX(batch) FROM changes");
    last.step();
    if (last.is_null(0)) {
      exec("COMMIT");
      return done;
    }
    int64_t batch = last.i64(0);
    Stmt rows(db_, "SELECT id, before, after FROM changes WHERE batch=?1 ORDER BY seq DESC");
    rows.bind(1, batch);
    Stmt del(db_, "DELETE FROM memories WHERE id=?1");
    Stmt delv(db_, "DELETE FROM vectors WHERE id=?1");
    Stmt up(db_,
            "INSERT INTO memories(id, kind, scope, text, tags, created, updated, expires, importance, deleted, doc) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
            "ON CONFLICT(id) DO UPDATE SET kind=?2, scope=?3, text=?4, tags=?5, created=?6, updated=?7, "
            "expires=?8, importance=?9, deleted=?10, doc=?11");
    while (rows.step()) {
      std::string id = rows.text(0);
      touched.push_back(id);
      // The vector is dropped either way; the next vector search re-embeds what is missing.
      delv.reset();
      delv.bind(1, id).run();
      if (rows.is_null(1)) {
        del.reset();
        del.bind(1, id).run();
        done.push_back({id, "removed", rows.is_null(2) ? "" : parse_doc(rows.text(2), id).text});
        continue;
      }
      Record r = parse_doc(rows.text(1), id);
      const bool was_deleted = !rows.is_null(2) && parse_doc(rows.text(2), id).deleted;
      done.push_back({id, was_deleted && !r.deleted ? "restored" : "reverted", r.text});
      up.reset();
      up.bind(1, r.id).bind(2, r.kind).bind(3, r.scope).bind(4, r.text).bind(5, json(r.tags).dump());
      up.bind(6, r.created).bind(7, r.updated).bind(8, r.expires).bind(9, r.importance);
      up.bind(10, int64_t(r.deleted ? 1 : 0)).bind(11, to_json(r).dump());
      up.run();
    }
    Stmt drop(db_, "DELETE FROM changes WHERE batch=?1");
    drop.bind(1, batch).run();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    touched_.clear();
    throw;
  }
  touched_ = touched;
  sync_cache();
  return done;
}

size_t Store::purge() {
  std::lock_guard lock(mu_);
  exec("BEGIN IMMEDIATE");
  size_t n = 0;
  try {
    exec("DELETE FROM vectors WHERE id IN (SELECT id FROM memories WHERE deleted=1)");
    exec("DELETE FROM memories WHERE deleted=1");
    n = static_cast<size_t>(sqlite3_changes(db_));
    // Undo steps older than the purge would now revert changes the user did not just make (the
    // forget that the purge made permanent is gone): the log starts again after a purge.
    if (n > 0) exec("DELETE FROM changes");
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return n;
}

std::optional<Record> Store::get(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT doc FROM memories WHERE id=?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return parse_doc(s.text(0), id);
}

std::vector<Record> Store::list(const ListOptions& o) {
  std::lock_guard lock(mu_);
  std::string sql = "SELECT id, doc FROM memories m WHERE (?1 OR deleted=0) AND (?2='' OR scope=?2) AND (?3='' OR kind=?3)";
  for (size_t i = 0; i < o.tags.size(); ++i)
    sql += " AND EXISTS (SELECT 1 FROM json_each(m.tags) WHERE value=?" + std::to_string(6 + i) + ")";
  sql += " ORDER BY updated DESC, id LIMIT ?4 OFFSET ?5";
  Stmt s(db_, sql.c_str());
  s.bind(1, int64_t(o.include_deleted)).bind(2, o.scope).bind(3, o.kind);
  s.bind(4, int64_t(o.limit)).bind(5, int64_t(o.offset));
  for (size_t i = 0; i < o.tags.size(); ++i) s.bind(static_cast<int>(6 + i), o.tags[i]);
  std::vector<Record> out;
  while (s.step()) out.push_back(parse_doc(s.text(1), s.text(0)));
  return out;
}

std::vector<Record> Store::all_records(bool include_deleted) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id, doc FROM memories WHERE (?1 OR deleted=0) ORDER BY created, id");
  s.bind(1, int64_t(include_deleted));
  std::vector<Record> out;
  while (s.step()) out.push_back(parse_doc(s.text(1), s.text(0)));
  return out;
}

Stats Store::stats() {
  std::lock_guard lock(mu_);
  Stats st;
  st.path = path_;
  st.embedder = embedder_ ? embedder_->name() : "";
  Stmt c(db_, "SELECT SUM(deleted=0), SUM(deleted=1) FROM memories");
  c.step();
  st.live = static_cast<size_t>(c.i64(0));
  st.deleted = static_cast<size_t>(c.i64(1));
  Stmt v(db_, "SELECT COUNT(*) FROM vectors WHERE model=?1");
  v.bind(1, st.embedder);
  v.step();
  st.vectors = static_cast<size_t>(v.i64(0));
  Stmt vm(db_, "SELECT model, COUNT(*) FROM vectors GROUP BY model ORDER BY model");
  while (vm.step()) st.vectors_by_model.emplace_back(vm.text(0), static_cast<size_t>(vm.i64(1)));
  Stmt u(db_, "SELECT COUNT(DISTINCT batch) FROM changes");
  u.step();
  st.undo_steps = static_cast<size_t>(u.i64(0));
  Stmt k(db_, "SELECT kind, COUNT(*) FROM memories WHERE deleted=0 GROUP BY kind ORDER BY kind");
  while (k.step()) st.by_kind.emplace_back(k.text(0), static_cast<size_t>(k.i64(1)));
  Stmt sc(db_, "SELECT scope, COUNT(*) FROM memories WHERE deleted=0 GROUP BY scope ORDER BY scope");
  while (sc.step()) st.by_scope.emplace_back(sc.text(0), static_cast<size_t>(sc.i64(1)));
  Stmt ver(db_, "PRAGMA user_version");
  ver.step();
  st.schema_version = static_cast<int>(ver.i64(0));
  return st;
}

}  // namespace hearth::memory
