#include "memory/fts_rank.h"

#include <cmath>

#include "core/error.h"
#include "memory/sqlite_util.h"

namespace hearth::memory {

namespace {

constexpr double kK1 = 1.2, kB = 0.75;

// SQLite's varint (big-endian groups of 7 bits, high bit set on all but the last byte), which
// FTS5 uses for the column sizes in docsize.
size_t get_varint(const unsigned char* p, size_t n, uint64_t* out) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && i < 9; ++i) {
    if (i == 8) {
      *out = (v << 8) | p[i];
      return 9;
    }
    v = (v << 7) | (p[i] & 0x7f);
    if (!(p[i] & 0x80)) {
      *out = v;
      return i + 1;
    }
  }
  *out = v;
  return 0;  // truncated
}

void rank_fn(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto* q = argc >= 1 ? static_cast<const Bm25Query*>(sqlite3_value_pointer(argv[0], kBm25PointerType)) : nullptr;
  if (!q) {
    sqlite3_result_error(ctx, "hearth_bm25: needs its query parameters (a bound pointer)", -1);
    return;
  }
  int nphrase = api->xPhraseCount(fts);
  if (static_cast<size_t>(nphrase) != q->idf.size()) {
    sqlite3_result_error(ctx, "hearth_bm25: one IDF per phrase is needed", -1);
    return;
  }
  double freq[64] = {};
  if (nphrase > 64) {
    sqlite3_result_error(ctx, "hearth_bm25: too many phrases", -1);
    return;
  }
  int ninst = 0;
  int rc = api->xInstCount(fts, &ninst);
  for (int i = 0; rc == SQLITE_OK && i < ninst; ++i) {
    int ip = 0, ic = 0, io = 0;
    rc = api->xInst(fts, i, &ip, &ic, &io);
    if (rc == SQLITE_OK && ip >= 0 && ip < nphrase)
      freq[ip] += static_cast<size_t>(ic) < q->col_weight.size() ? q->col_weight[ic] : 1.0;
  }
  int64_t rowid = api->xRowid(fts);
  double dl = 0;
  const DocLengths* L = q->lengths;
  if (L && rowid >= 0 && static_cast<uint64_t>(rowid) < L->len.size() && L->len[rowid] && !L->dirty.count(rowid)) {
    dl = L->len[rowid];
  } else if (rc == SQLITE_OK) {
    int n = 0;
    rc = api->xColumnSize(fts, -1, &n);
    dl = n;
  }
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  double avg = L ? L->avg() : 1.0;
  double norm = kK1 * (1 - kB + kB * dl / (avg > 0 ? avg : 1.0));
  double score = 0;
  for (int p = 0; p < nphrase; ++p)
    if (freq[p] > 0) score += q->idf[p] * freq[p] * (kK1 + 1) / (freq[p] + norm);
  sqlite3_result_double(ctx, score);
}

fts5_api* fts5_of(sqlite3* db) {
  fts5_api* api = nullptr;
  Stmt s(db, "SELECT fts5(?1)");
  if (sqlite3_bind_pointer(s.handle(), 1, &api, "fts5_api_ptr", nullptr) != SQLITE_OK) sqlite_fail(db, "binding fts5_api_ptr");
  s.step();
  if (!api) fail(Errc::unsupported, "this SQLite has no FTS5 extension API");
  return api;
}

}  // namespace

double bm25_idf(int64_t rows, int64_t df) {
  double idf = std::log((double(rows) - double(df) + 0.5) / (double(df) + 0.5));
  return idf > 0 ? idf : 1e-6;
}

void DocLengths::load(sqlite3* db, const std::string& table, int64_t version) {
  valid = false;
  len.clear();
  dirty.clear();
  total = 0;
  rows = 0;
  Stmt s(db, ("SELECT id, sz FROM " + table).c_str());
  while (s.step()) {
    int64_t id = s.i64(0);
    auto* p = static_cast<const unsigned char*>(s.blob(1));
    size_t n = static_cast<size_t>(s.bytes(1)), at = 0;
    uint64_t sum = 0, v = 0;
    while (p && at < n) {
      size_t k = get_varint(p + at, n - at, &v);
      if (!k) break;
      sum += v;
      at += k;
    }
    ++rows;
    total += double(sum);
    if (id < 0 || id > (int64_t(1) << 31) || sum > UINT32_MAX) continue;  // such rows use the slow path
    if (static_cast<size_t>(id) >= len.size()) len.resize(static_cast<size_t>(id) + 1 + len.size() / 2, 0);
    len[static_cast<size_t>(id)] = sum ? static_cast<uint32_t>(sum) : 0;
  }
  data_version = version;
  valid = true;
}

void register_fts_rank(sqlite3* db) {
  fts5_api* api = fts5_of(db);
  if (api->xCreateFunction(api, "hearth_bm25", nullptr, rank_fn, nullptr) != SQLITE_OK)
    sqlite_fail(db, "registering hearth_bm25");
}

}  // namespace hearth::memory
