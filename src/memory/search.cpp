// Hybrid retrieval: BM25 over FTS5, cosine over the cached vectors, recency and importance.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "memory/sqlite_util.h"
#include "memory/store.h"
#include "memory/vector_cache.h"

namespace hearth::memory {

namespace {

const std::unordered_set<std::string>& stopwords() {
  static const std::unordered_set<std::string> s = {
      "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "is", "are", "was", "were",
      "be", "been", "do", "does", "did", "what", "which", "who", "whom", "when", "where", "why", "how", "i",
      "me", "my", "you", "your", "it", "its", "this", "that", "these", "those", "as", "by", "from", "has",
      "have", "had", "not", "but", "if", "so", "than", "then", "there", "their", "they", "them", "he", "she",
      "his", "her", "we", "our", "us", "will", "would", "can", "could", "should", "about", "into", "s"};
  return s;
}

// Quoted OR of the query's content words, so arbitrary user text never hits FTS5 syntax.
std::string fts_query(const std::string& q) {
  std::string out;
  std::set<std::string> seen;
  for (const auto& w : words(q)) {
    if (stopwords().count(w) || !seen.insert(w).second) continue;
    if (!out.empty()) out += " OR ";
    out += "\"" + w + "\"";
  }
  return out;
}

}  // namespace

void dot_rows(const float* rows, size_t n, size_t dim, const float* q, float* out) {
  for (size_t r = 0; r < n; ++r) {
    const float* row = rows + r * dim;
    // Eight independent accumulators let the compiler vectorise without -ffast-math.
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= dim; i += 8)
      for (int k = 0; k < 8; ++k) acc[k] += row[i + k] * q[i + k];
    float s = (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]);
    for (; i < dim; ++i) s += row[i] * q[i];
    out[r] = s;
  }
}

void Store::ensure_vectors() {
  if (!embedder_) return;
  Stmt dv(db_, "PRAGMA data_version");
  dv.step();
  int64_t version = dv.i64(0);
  auto& c = *cache_;
  if (c.valid && c.data_version == version && c.model == embedder_->name()) return;
  reembed();
  // reembed() may have written; read the version again after it.
  Stmt dv2(db_, "PRAGMA data_version");
  dv2.step();
  c = VectorCache{};
  c.model = embedder_->name();
  Stmt s(db_,
         "SELECT m.id, m.scope, m.kind, m.expires, v.dim, v.vec FROM memories m JOIN vectors v ON v.id = m.id "
         "WHERE m.deleted=0 AND v.model=?1");
  s.bind(1, c.model);
  while (s.step()) {
    size_t dim = static_cast<size_t>(s.i64(4));
    if (dim == 0 || static_cast<size_t>(s.bytes(5)) != dim * sizeof(float)) continue;
    if (c.dim == 0) c.dim = dim;
    if (dim != c.dim) continue;
    size_t off = c.data.size();
    c.data.resize(off + dim);
    std::memcpy(c.data.data() + off, s.blob(5), dim * sizeof(float));
    c.pos[s.text(0)] = c.ids.size();
    c.ids.push_back(s.text(0));
    c.scope.push_back(s.text(1));
    c.kind.push_back(s.text(2));
    c.expires.push_back(s.i64(3));
  }
  c.data_version = dv2.i64(0);
  c.valid = true;
}

size_t Store::reembed() {
  std::lock_guard lock(mu_);
  if (!embedder_) fail(Errc::invalid_argument, "no embedder configured");
  std::string model = embedder_->name();
  size_t done = 0;
  for (;;) {
    std::vector<std::string> ids, texts;
    {
      Stmt s(db_,
             "SELECT id, text FROM memories m WHERE deleted=0 AND NOT EXISTS "
             "(SELECT 1 FROM vectors v WHERE v.id=m.id AND v.model=?1) LIMIT 256");
      s.bind(1, model);
      while (s.step()) {
        ids.push_back(s.text(0));
        texts.push_back(s.text(1));
      }
    }
    if (ids.empty()) break;
    auto vecs = embedder_->embed(texts);
    if (vecs.size() != ids.size()) fail(Errc::internal, "embedder returned the wrong number of vectors");
    exec("BEGIN IMMEDIATE");
    try {
      // Vectors of other models for these ids are stale now.
      Stmt del(db_, "DELETE FROM vectors WHERE id=?1 AND model<>?2");
      Stmt ins(db_, "INSERT OR REPLACE INTO vectors(id, model, dim, vec) VALUES (?1, ?2, ?3, ?4)");
      for (size_t i = 0; i < ids.size(); ++i) {
        del.reset();
        del.bind(1, ids[i]).bind(2, model).run();
        ins.reset();
        ins.bind(1, ids[i]).bind(2, model).bind(3, int64_t(vecs[i].size()));
        ins.bind_blob(4, vecs[i].data(), vecs[i].size() * sizeof(float)).run();
      }
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    done += ids.size();
  }
  if (done) cache_->valid = false;
  return done;
}

std::vector<std::pair<std::string, double>> Store::bm25_candidates(const SearchOptions& o, size_t n) {
  std::vector<std::pair<std::string, double>> out;
  std::string q = fts_query(o.query);
  if (q.empty()) return out;
  Stmt s(db_,
         "SELECT m.id, -bm25(memories_fts, 1.0, 0.5) AS score FROM memories_fts JOIN memories m ON m.rid = "
         "memories_fts.rowid WHERE memories_fts MATCH ?1 AND m.deleted=0 AND (?2='' OR m.scope=?2) AND "
         "(?3='' OR m.kind=?3) AND (?4 OR m.expires=0 OR m.expires>?5) ORDER BY score DESC LIMIT ?6");
  s.bind(1, q).bind(2, o.scope).bind(3, o.kind).bind(4, int64_t(o.include_expired)).bind(5, now_ms());
  s.bind(6, int64_t(n));
  while (s.step()) out.emplace_back(s.text(0), s.dbl(1));
  return out;
}

std::vector<std::pair<std::string, double>> Store::vector_candidates(const SearchOptions& o, size_t n) {
  std::vector<std::pair<std::string, double>> out;
  if (!embedder_) return out;
  ensure_vectors();
  auto& c = *cache_;
  if (c.ids.empty()) return out;
  auto q = embed_text(o.query);
  if (q.size() != c.dim) fail(Errc::internal, "query vector size differs from stored vectors");
  std::vector<float> scores(c.ids.size());
  dot_rows(c.data.data(), c.ids.size(), c.dim, q.data(), scores.data());
  int64_t now = now_ms();
  std::vector<uint32_t> idx;
  idx.reserve(c.ids.size());
  for (uint32_t i = 0; i < c.ids.size(); ++i) {
    if (!o.scope.empty() && c.scope[i] != o.scope) continue;
    if (!o.kind.empty() && c.kind[i] != o.kind) continue;
    if (!o.include_expired && c.expires[i] && c.expires[i] <= now) continue;
    idx.push_back(i);
  }
  size_t k = std::min(n, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
  for (size_t i = 0; i < k; ++i) out.emplace_back(c.ids[idx[i]], scores[idx[i]]);
  return out;
}

std::vector<SearchHit> Store::search(const SearchOptions& o) {
  std::lock_guard lock(mu_);
  if (o.limit == 0) return {};
  if (o.mode != SearchMode::bm25 && !embedder_)
    fail(Errc::invalid_argument, "vector search needs an embedder");
  // Filters on tags are applied after ranking, so fetch more candidates when they are set.
  size_t n = std::max<size_t>(50, o.limit * (o.tags.empty() ? 5 : 40));
  std::vector<std::pair<std::string, double>> lex, vec;
  if (o.mode != SearchMode::vector) lex = bm25_candidates(o, n);
  if (o.mode != SearchMode::bm25) vec = vector_candidates(o, n);

  std::unordered_map<std::string, SearchHit> hits;
  double max_lex = 0;
  for (auto& [id, s] : lex) max_lex = std::max(max_lex, s);
  for (auto& [id, s] : lex) hits[id].bm25 = max_lex > 0 ? s / max_lex : 0;
  for (auto& [id, s] : vec) hits[id].vector = s;
  // Lexical-only candidates still get their true cosine so hybrid scores are comparable.
  std::vector<float> qv;
  if (o.mode == SearchMode::hybrid && cache_->valid && !cache_->ids.empty()) {
    for (auto& [id, h] : hits) {
      if (h.vector != 0) continue;
      auto it = cache_->pos.find(id);
      if (it == cache_->pos.end()) continue;
      if (qv.empty()) qv = embed_text(o.query);
      float d;
      dot_rows(cache_->data.data() + it->second * cache_->dim, 1, cache_->dim, qv.data(), &d);
      h.vector = d;
    }
  }
  if (hits.empty()) return {};

  // Fetch the candidate records in one query.
  std::string sql = "SELECT id, doc FROM memories WHERE id IN (";
  for (size_t i = 0; i < hits.size(); ++i) sql += i ? ",?" : "?";
  sql += ")";
  Stmt s(db_, sql.c_str());
  int i = 1;
  for (auto& [id, h] : hits) s.bind(i++, id);
  int64_t now = now_ms();
  std::vector<SearchHit> out;
  auto qwords = words(o.query);
  while (s.step()) {
    std::string id = s.text(0);
    SearchHit h = hits[id];
    h.record = record_from_json(json::parse(s.text(1)), "memory " + id);
    bool tags_ok = std::all_of(o.tags.begin(), o.tags.end(), [&](const std::string& t) {
      return std::find(h.record.tags.begin(), h.record.tags.end(), t) != h.record.tags.end();
    });
    if (!tags_ok || h.record.deleted) continue;
    double age_days = std::max<double>(0, double(now - h.record.updated) / 86400000.0);
    h.recency = std::pow(0.5, age_days / o.recency_half_life_days);
    h.importance = h.record.importance;
    if (o.mode == SearchMode::bm25) h.score = h.bm25;
    else if (o.mode == SearchMode::vector) h.score = h.vector;
    else
      h.score = o.w_bm25 * h.bm25 + o.w_vector * h.vector + o.w_recency * h.recency + o.w_importance * h.importance;
    // Explain the match in words a user can check.
    std::set<std::string> text_words;
    for (auto& w : words(h.record.text)) text_words.insert(w);
    for (auto& t : h.record.tags) text_words.insert(t);
    std::string matched;
    for (auto& w : qwords)
      if (!stopwords().count(w) && text_words.count(w) && matched.find("\"" + w + "\"") == std::string::npos)
        matched += (matched.empty() ? "" : ", ") + ("\"" + w + "\"");
    if (h.bm25 > 0) h.why.push_back("keywords " + (matched.empty() ? std::string("(stemmed)") : matched));
    if (h.vector > 0 && o.mode != SearchMode::bm25) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "vector similarity %.3f (%s)", h.vector, cache_->model.c_str());
      h.why.push_back(buf);
    }
    if (o.mode == SearchMode::hybrid && h.recency > 0.5) h.why.push_back("recently updated");
    if (o.mode == SearchMode::hybrid && h.importance >= 0.8) h.why.push_back("marked important");
    out.push_back(std::move(h));
  }
  std::sort(out.begin(), out.end(), [](const SearchHit& a, const SearchHit& b) {
    return a.score != b.score ? a.score > b.score : a.record.id < b.record.id;
  });
  if (out.size() > o.limit) out.resize(o.limit);
  return out;
}

std::string format_for_prompt(const std::vector<SearchHit>& hits, size_t max_chars) {
  if (hits.empty()) return {};
  std::string out =
      "Things you remember about the user (from their hearth memory; newer statements override older "
      "ones):\n";
  for (const auto& h : hits) {
    std::string line = "- [" + h.record.kind + "] " + h.record.text + " (" + format_time(h.record.updated).substr(0, 10) + ")\n";
    if (out.size() + line.size() > max_chars) break;
    out += line;
  }
  return out;
}

}  // namespace hearth::memory
