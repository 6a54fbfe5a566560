// The local memory store: one SQLite database (WAL, synchronous=FULL) under
// $HEARTH_HOME/memory/. A write that returned has been committed and fsynced. Several processes
// (CLI, server, MCP) may use the same file at once; writers wait up to busy_timeout.
// Deletes are tombstones until purge(); every change is logged so undo() can revert it.
#pragma once
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "memory/embed_settings.h"
#include "memory/embedder.h"
#include "memory/fts_rank.h"
#include "memory/record.h"

namespace hearth::memory {

struct ListOptions {
  std::string scope, kind;
  std::vector<std::string> tags;  // all must be present
  bool include_deleted = false;
  size_t limit = 100;
  size_t offset = 0;
};

enum class SearchMode { bm25, vector, hybrid };
SearchMode parse_search_mode(const std::string& s);

inline constexpr double kDefaultMinSimilarity = 0.3;

struct SearchOptions {
  std::string query;
  size_t limit = 10;
  SearchMode mode = SearchMode::hybrid;
  std::string scope, kind;
  std::vector<std::string> tags;
  // History: also expired and superseded memories, as they are. Otherwise a superseded memory
  // that matches brings back the memory that replaced it ("replaces ..." in why).
  bool include_expired = false;
  // The memories valid at this time (ms; created by then, not yet expired or superseded) instead
  // of now. 0 = now.
  int64_t as_of = 0;
  // Relevance floor (hybrid mode): a hit that shares no keyword with the query must reach this
  // cosine, so recency and importance alone never bring back an unrelated memory. Negative: no
  // floor (pure ranking, as the retrieval benchmark measures). Vector mode ranks by cosine alone.
  double min_similarity = kDefaultMinSimilarity;
  // Hybrid weights (normalised BM25, cosine, recency, importance).
  double w_bm25 = 0.45, w_vector = 0.45, w_recency = 0.05, w_importance = 0.05;
  double recency_half_life_days = 30;
};

struct SearchHit {
  Record record;
  double score = 0;
  double bm25 = 0;        // BM25 relevance scaled to [0,1] among the candidates
  double vector = 0;      // cosine similarity
  double recency = 0;     // 1 = just updated, halves every half-life
  double importance = 0;  // the record's importance
  std::vector<std::string> why;
};

struct RecordPatch {
  std::optional<std::string> text, kind, scope;
  std::optional<std::vector<std::string>> tags;
  std::optional<double> confidence, importance;
  std::optional<int64_t> expires;
};

// One record's part in an undone change.
struct Undone {
  std::string id;
  std::string action;  // "removed" (an add undone), "restored" (a forget undone), "reverted" (an edit)
  std::string text;    // the record's text after the undo (before it, for "removed")
};
template <typename Json>  // json or ordered_json
void to_json(Json& j, const Undone& u) {
  j = Json{{"id", u.id}, {"action", u.action}, {"text", u.text}};
}
std::vector<std::string> ids_of(const std::vector<Undone>& undone);

struct Stats {
  size_t live = 0, deleted = 0, vectors = 0, undo_steps = 0;
  std::vector<std::pair<std::string, size_t>> by_kind, by_scope;
  std::vector<std::pair<std::string, size_t>> vectors_by_model;  // every model with stored vectors
  std::string embedder;
  std::string path;
  int schema_version = 0;
};

class Store {
 public:
  // Opens (creating and migrating if needed) the database. Thread-safe. `embedder` may be null (then vector
  // search is unavailable); it must outlive the store.
  Store(const std::filesystem::path& db_path, Embedder* embedder);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static std::filesystem::path default_path();  // $HEARTH_HOME/memory/memory.db

  // Fills id, created/updated when empty; returns the stored record.
  Record add(Record r, const std::string& by);
  Record update(const std::string& id, const RecordPatch& patch, const std::string& by);
  Record forget(const std::string& id, const std::string& by);
  // Reverts the most recent change batch (an add, edit, forget or whole import); returns what it
  // did to each record, empty when there is nothing to undo.
  std::vector<Undone> undo();
  // Permanently removes tombstoned records; returns how many. When it removes any, the undo log
  // is cleared too: undo never reaches back across a purge to older changes.
  size_t purge();
  // Texts longer than this are refused (Error(invalid_argument)); set from config.json beside the
  // database (load_max_memory_bytes), default 16 KiB.
  size_t max_memory_bytes() const { return max_bytes_; }
  void set_max_memory_bytes(size_t n) { max_bytes_ = n; }

  std::optional<Record> get(const std::string& id);
  std::vector<Record> list(const ListOptions& opts);
  std::vector<Record> all_records(bool include_deleted);  // ordered by created, id
  std::vector<SearchHit> search(const SearchOptions& opts);
  // Embeds every live record lacking a vector from the current embedder; returns how many.
  size_t reembed();
  Stats stats();

  // Applies `fn` to a write transaction as one undo batch; put() inserts or replaces a record
  // exactly as given (used by import). Either everything in `fn` commits or nothing does.
  void batch(const std::function<void()>& fn);
  void put(const Record& r, bool embed_now = true);

  Embedder* embedder() const { return embedder_; }
  sqlite3* handle() const { return db_; }

  // The in-memory vectors (vector_cache.h); public only so tests can drive it directly.
  struct VectorCache;

 private:
  void exec(const char* sql);
  void check_size(const Record& r) const;  // throws for a live record over max_bytes_
  void migrate();
  void begin_write();
  void commit();
  void rollback();
  void write_record(const Record& r, const std::optional<Record>& before);
  void store_vector(const std::string& id, const std::vector<float>& v);
  std::vector<float> embed_text(const std::string& text);
  void ensure_vectors();
  // Brings the vector cache up to date with this process's committed writes (touched_).
  void sync_cache();
  void refresh_cached(const std::string& id);
  // The query's content words with their document frequencies, minus words too common to help;
  // `size` receives the store size the frequencies refer to.
  std::vector<std::pair<std::string, int64_t>> fts_terms_for(const std::string& text, int64_t* size);
  // Loads (or reloads, after another process wrote) the FTS row lengths hearth_bm25 reads.
  void ensure_doclens();
  int64_t term_df(const std::string& word, int64_t size);
  std::vector<std::pair<std::string, double>> bm25_candidates(const SearchOptions& opts, size_t n);
  // `q` is the embedded query (empty when the cache is empty).
  std::vector<std::pair<std::string, double>> vector_candidates(const SearchOptions& opts, size_t n,
                                                                const std::vector<float>& q);

  sqlite3* db_ = nullptr;
  Embedder* embedder_ = nullptr;
  std::string path_;
  int64_t batch_id_ = 0;  // non-zero inside batch()
  std::unique_ptr<VectorCache> cache_;
  std::unique_ptr<DocLengths> doclens_;
  std::vector<std::string> touched_;  // ids written in the open transaction
  bool missing_vectors_ = false;  // a live record lacks a vector: embed before the next search
  std::unordered_map<std::string, std::pair<int64_t, int64_t>> df_cache_;  // word -> (df, store size then)
  // One connection, used from any thread (server handlers, MCP sessions): public methods lock.
  std::recursive_mutex mu_;
  size_t max_bytes_ = kDefaultMaxMemoryBytes;
};

// Renders memories for a system prompt (used by the server when a request opts in): a header,
// then one prompt_line per memory while the text stays within max_chars.
std::string prompt_line(const Record& r);
std::string format_for_prompt(const std::vector<SearchHit>& hits, size_t max_chars = 4000);

}  // namespace hearth::memory
