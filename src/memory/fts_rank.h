// hearth_bm25(): BM25 for the memories FTS5 index with FTS5's own formula and defaults (k1 = 1.2,
// b = 0.75, per-column weights), but cheaper per matched row than the built-in bm25(). That one
// counts every phrase's documents on each query (a second pass over all matches) and reads each
// row's length with one SQL lookup in the docsize table; here the caller passes the phrases' IDFs
// (from its document-frequency cache) and the lengths come from an in-memory copy of docsize.
// Search latency at 100k memories is dominated by this per-row work.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace hearth::memory {

// Token counts of every indexed row, by rowid, read once from the FTS5 docsize table.
struct DocLengths {
  bool valid = false;
  int64_t data_version = -1;
  std::vector<uint32_t> len;          // by rowid; 0: not loaded (looked up through FTS5)
  std::unordered_set<int64_t> dirty;  // rows this process rewrote since loading
  double total = 0;                   // sum of lengths, for the average
  size_t rows = 0;
  double avg() const { return rows ? total / double(rows) : 1.0; }
  // Reads `table` (an FTS5 %_docsize table); throws Error on SQL failure.
  void load(sqlite3* db, const std::string& table, int64_t version);
};

struct Bm25Query {
  std::vector<double> idf;         // one per phrase of the MATCH expression, in order
  std::vector<double> col_weight;  // one per column; missing columns weigh 1
  const DocLengths* lengths = nullptr;
};

// Registers hearth_bm25(fts_table, params) on `db`, where params is a Bm25Query* bound with
// sqlite3_bind_pointer(..., kBm25PointerType, nullptr). Higher is better. Throws Error.
void register_fts_rank(sqlite3* db);
inline constexpr const char* kBm25PointerType = "hearth_bm25_query";

// FTS5's IDF: ln((N - df + 0.5) / (df + 0.5)), floored at 1e-6 as FTS5 does.
double bm25_idf(int64_t rows, int64_t df);

}  // namespace hearth::memory
