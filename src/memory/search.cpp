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

}  // namespace

void Store::sync_cache() {
  std::vector<std::string> ids;
  ids.swap(touched_);
  if (ids.empty()) return;
  // A large import is cheaper to reload in one query than row by row.
  if (ids.size() > 5000) {
    cache_->valid = false;
    doclens_->valid = false;
    return;
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (doclens_->valid) {
    // Their FTS lengths may have changed: hearth_bm25 asks FTS5 for these rows from now on.
    Stmt s(db_, "SELECT rid FROM memories WHERE id=?1");
    for (const auto& id : ids) {
      s.reset();
      s.bind(1, id);
      if (s.step()) doclens_->dirty.insert(s.i64(0));
    }
  }
  if (!cache_->valid) return;
  for (const auto& id : ids) refresh_cached(id);
}

void Store::ensure_doclens() {
  Stmt dv(db_, "PRAGMA data_version");
  dv.step();
  int64_t version = dv.i64(0);
  // Rewritten rows go to the slow path; reload when they pile up or another process wrote.
  if (doclens_->valid && doclens_->data_version == version && doclens_->dirty.size() < 4096) return;
  doclens_->load(db_, "memories_fts_docsize", version);
}

void Store::refresh_cached(const std::string& id) {
  auto& c = *cache_;
  Stmt s(db_,
         "SELECT m.scope, m.kind, m.expires, m.deleted, v.dim, v.vec FROM memories m LEFT JOIN vectors v ON "
         "v.id = m.id AND v.model = ?2 WHERE m.id = ?1");
  s.bind(1, id).bind(2, c.model);
  if (!s.step() || s.i64(3) != 0) {
    c.remove(id);
    return;
  }
  size_t dim = s.is_null(5) ? 0 : static_cast<size_t>(s.i64(4));
  if (dim == 0 || static_cast<size_t>(s.bytes(5)) != dim * sizeof(float)) {
    c.remove(id);
    missing_vectors_ = true;
    return;
  }
  std::vector<float> v(dim);
  std::memcpy(v.data(), s.blob(5), dim * sizeof(float));
  if (!c.upsert(id, s.text(0), s.text(1), s.i64(2), v.data(), dim)) c.remove(id);
}

void Store::ensure_vectors() {
  if (!embedder_) return;
  Stmt dv(db_, "PRAGMA data_version");
  dv.step();
  int64_t version = dv.i64(0);
  auto& c = *cache_;
  if (c.valid && c.data_version == version && c.model == embedder_->name()) {
    if (missing_vectors_) {
      missing_vectors_ = false;
      reembed();  // its commits add the new rows to the cache
    }
    return;
  }
  // First use, another process wrote, or the embedder changed: reload everything.
  c.valid = false;
  missing_vectors_ = false;
  reembed();
  // reembed() may have written; read the version again after it.
  Stmt dv2(db_, "PRAGMA data_version");
  dv2.step();
  c.clear_rows();
  c.model = embedder_->name();
  Stmt s(db_,
         "SELECT m.id, m.scope, m.kind, m.expires, v.dim, v.vec FROM memories m JOIN vectors v ON v.id = m.id "
         "WHERE m.deleted=0 AND v.model=?1");
  s.bind(1, c.model);
  std::vector<float> row;
  while (s.step()) {
    size_t dim = static_cast<size_t>(s.i64(4));
    if (dim == 0 || static_cast<size_t>(s.bytes(5)) != dim * sizeof(float)) continue;
    row.resize(dim);  // the blob may be unaligned
    std::memcpy(row.data(), s.blob(5), dim * sizeof(float));
    c.upsert(s.text(0), s.text(1), s.text(2), s.i64(3), row.data(), dim);
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
    touched_ = ids;
    sync_cache();
    done += ids.size();
  }
  return done;
}

int64_t Store::term_df(const std::string& word, int64_t size) {
  auto it = df_cache_.find(word);
  // Counts are a heuristic; refresh them when the store has grown by a fifth since.
  if (it != df_cache_.end() && size <= it->second.second + it->second.second / 5) return it->second.first;
  Stmt s(db_, "SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?1");
  s.bind(1, "\"" + word + "\"");
  s.step();
  int64_t df = s.i64(0);
  if (df_cache_.size() > 100000) df_cache_.clear();
  df_cache_[word] = {df, size};
  return df;
}

std::vector<std::pair<std::string, int64_t>> Store::fts_terms_for(const std::string& text, int64_t* size) {
  std::vector<std::string> terms;
  std::set<std::string> seen;
  for (const auto& w : words(text))
    if (!stopwords().count(w) && seen.insert(w).second) terms.push_back(w);
  std::vector<std::pair<std::string, int64_t>> out;
  if (terms.empty()) return out;
  // hearth_bm25 takes at most 64 phrases; a longer query keeps its first 64 content words.
  if (terms.size() > 64) terms.resize(64);
  Stmt m(db_, "SELECT COALESCE(MAX(rid), 0) FROM memories");
  m.step();
  *size = m.i64(0);
  for (const auto& t : terms) out.emplace_back(t, term_df(t, *size));
  // In a large store a word found in more than 5% of memories (a name that starts every line,
  // say) adds little to BM25 but makes FTS5 score every one of those rows: leave it out.
  constexpr int64_t kMinCommon = 2000;
  if (*size > kMinCommon * 4) {
    std::vector<std::pair<std::string, int64_t>> kept;
    for (const auto& [t, d] : out)
      if (d <= kMinCommon || d * 20 <= *size) kept.emplace_back(t, d);
    if (kept.empty())
      kept.push_back(*std::min_element(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second < b.second; }));
    out = std::move(kept);
  }
  return out;
}

std::vector<std::pair<std::string, double>> Store::bm25_candidates(const SearchOptions& o, size_t n) {
  std::vector<std::pair<std::string, double>> out;
  int64_t size = 0;
  auto terms = fts_terms_for(o.query, &size);
  if (terms.empty()) return out;
  ensure_doclens();
  // FTS5's bm25 with the text column weighing 1 and tags 0.5, computed by hearth_bm25 from the
  // cached document frequencies and row lengths (fts_rank.h).
  Bm25Query bq;
  bq.col_weight = {1.0, 0.5};
  bq.lengths = doclens_.get();
  std::string q;
  for (const auto& [t, df] : terms) {
    q += (q.empty() ? "\"" : " OR \"") + t + "\"";
    bq.idf.push_back(bm25_idf(std::max(size, df), df));
  }
  int64_t now = now_ms();
  if (o.scope.empty() && o.kind.empty()) {
    // Rank inside FTS5 first and join only the best rows; a little headroom covers tombstones
    // and expired memories, which stay in the index until purge.
    Stmt s(db_,
           "SELECT m.id, f.score FROM (SELECT rowid, hearth_bm25(memories_fts, ?6) AS score FROM memories_fts "
           "WHERE memories_fts MATCH ?1 ORDER BY score DESC LIMIT ?2) f JOIN memories m ON m.rid = f.rowid "
           "WHERE m.deleted=0 AND (?3 OR m.expires=0 OR m.expires>?4) ORDER BY f.score DESC LIMIT ?5");
    s.bind(1, q).bind(2, int64_t(n * 2 + 20)).bind(3, int64_t(o.include_expired)).bind(4, now).bind(5, int64_t(n));
    sqlite3_bind_pointer(s.handle(), 6, &bq, kBm25PointerType, nullptr);
    while (s.step()) out.emplace_back(s.text(0), s.dbl(1));
    return out;
  }
  Stmt s(db_,
         "SELECT m.id, hearth_bm25(memories_fts, ?7) AS score FROM memories_fts JOIN memories m ON m.rid = "
         "memories_fts.rowid WHERE memories_fts MATCH ?1 AND m.deleted=0 AND (?2='' OR m.scope=?2) AND "
         "(?3='' OR m.kind=?3) AND (?4 OR m.expires=0 OR m.expires>?5) ORDER BY score DESC LIMIT ?6");
  s.bind(1, q).bind(2, o.scope).bind(3, o.kind).bind(4, int64_t(o.include_expired)).bind(5, now);
  s.bind(6, int64_t(n));
  sqlite3_bind_pointer(s.handle(), 7, &bq, kBm25PointerType, nullptr);
  while (s.step()) out.emplace_back(s.text(0), s.dbl(1));
  return out;
}

std::vector<std::pair<std::string, double>> Store::vector_candidates(const SearchOptions& o, size_t n,
                                                                     const std::vector<float>& q) {
  std::vector<std::pair<std::string, double>> out;
  if (!embedder_) return out;
  auto& c = *cache_;
  if (c.ids.empty()) return out;
  if (q.size() != c.dim) fail(Errc::internal, "query vector size differs from stored vectors");
  // Coarse pass over the int8 rows, then exact float cosine for the best few.
  std::vector<int8_t> q8(c.dim);
  float qscale = quantize_row(q.data(), c.dim, q8.data());
  // Reused between searches: at 100k memories these are the only large allocations.
  c.raw.resize(c.size());
  dot_rows_i8(c.q8.data(), c.size(), c.dim, q8.data(), c.raw.data());
  int64_t now = now_ms();
  // Keep the best k approximate scores in a min-heap; most rows are rejected by one compare.
  size_t k = std::max<size_t>(n * 4, 64);
  auto worse = [](const std::pair<float, uint32_t>& a, const std::pair<float, uint32_t>& b) { return a.first > b.first; };
  std::vector<std::pair<float, uint32_t>> cand;
  cand.reserve(k + 1);
  for (uint32_t i = 0; i < c.size(); ++i) {
    float approx = float(c.raw[i]) * c.scale[i] * qscale;
    if (cand.size() == k && approx <= cand.front().first) continue;
    if (!o.scope.empty() && c.scope[i] != o.scope) continue;
    if (!o.kind.empty() && c.kind[i] != o.kind) continue;
    if (!o.include_expired && c.expires[i] && c.expires[i] <= now) continue;
    cand.emplace_back(approx, i);
    std::push_heap(cand.begin(), cand.end(), worse);
    if (cand.size() > k) {
      std::pop_heap(cand.begin(), cand.end(), worse);
      cand.pop_back();
    }
  }
  for (auto& [score, i] : cand) dot_rows(c.data.data() + size_t(i) * c.dim, 1, c.dim, q.data(), &score);
  std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; i < std::min(n, cand.size()); ++i) out.emplace_back(c.ids[cand[i].second], cand[i].first);
  return out;
}

std::vector<SearchHit> Store::search(const SearchOptions& o) {
  std::lock_guard lock(mu_);
  if (o.limit == 0) return {};
  if (o.mode != SearchMode::bm25 && !embedder_)
    fail(Errc::invalid_argument, "vector search needs an embedder");
  // Filters on tags are applied after ranking, so fetch more candidates when they are set.
  size_t n = std::max<size_t>(50, o.limit * (o.tags.empty() ? 5 : 40));
  // Candidates include expired memories: a superseded one stands for its successor, and a time in
  // as_of may make an expired one valid again; validity is decided below.
  SearchOptions co = o;
  co.include_expired = true;
  std::vector<std::pair<std::string, double>> lex, vec;
  if (o.mode != SearchMode::vector) lex = bm25_candidates(co, n);
  // The query is embedded once (a model call with a real embedder) and used by both passes.
  std::vector<float> qv;
  if (o.mode != SearchMode::bm25) {
    ensure_vectors();
    if (!cache_->ids.empty()) qv = embed_text(o.query);
    vec = vector_candidates(co, n, qv);
  }

  std::unordered_map<std::string, SearchHit> hits;
  double max_lex = 0;
  for (auto& [id, s] : lex) max_lex = std::max(max_lex, s);
  for (auto& [id, s] : lex) hits[id].bm25 = max_lex > 0 ? s / max_lex : 0;
  for (auto& [id, s] : vec) hits[id].vector = s;
  // Lexical-only candidates still get their true cosine so hybrid scores are comparable.
  if (o.mode == SearchMode::hybrid && cache_->valid && qv.size() == cache_->dim && !cache_->ids.empty()) {
    for (auto& [id, h] : hits) {
      if (h.vector != 0) continue;
      auto it = cache_->pos.find(id);
      if (it == cache_->pos.end()) continue;
      float d;
      dot_rows(cache_->data.data() + it->second * cache_->dim, 1, cache_->dim, qv.data(), &d);
      h.vector = d;
    }
  }
  if (hits.empty()) return {};

  // Score from the cheap columns first; only the winners' full records are read and parsed.
  std::string sql = "SELECT id, updated, importance, tags, deleted, created, expires FROM memories WHERE id IN (";
  for (size_t i = 0; i < hits.size(); ++i) sql += i ? ",?" : "?";
  sql += ")";
  Stmt s(db_, sql.c_str());
  int bi = 1;
  for (auto& [id, h] : hits) s.bind(bi++, id);
  int64_t now = now_ms();
  const int64_t at = o.as_of ? o.as_of : now;
  std::vector<std::pair<std::string, SearchHit*>> ranked;
  std::vector<std::pair<std::string, SearchHit*>> replaced;  // superseded: their successors stand in
  // Relevance floor (hybrid): a keyword in common or enough cosine; recency alone is not enough.
  auto relevant = [&](const SearchHit& h) {
    return o.mode != SearchMode::hybrid || h.bm25 > 0 || h.vector >= o.min_similarity;
  };
  // Every tag asked for is present (tags: a JSON array from the row, or a record's vector).
  auto has_tags = [&](const auto& tags) {
    return std::all_of(o.tags.begin(), o.tags.end(),
                       [&](const std::string& t) { return std::find(tags.begin(), tags.end(), t) != tags.end(); });
  };
  auto score = [&](SearchHit& h, int64_t updated, double importance) {
    double age_days = std::max<double>(0, double(now - updated) / 86400000.0);
    h.recency = std::pow(0.5, age_days / o.recency_half_life_days);
    h.importance = importance;
    if (o.mode == SearchMode::bm25) h.score = h.bm25;
    else if (o.mode == SearchMode::vector) h.score = h.vector;
    else
      h.score = o.w_bm25 * h.bm25 + o.w_vector * h.vector + o.w_recency * h.recency + o.w_importance * h.importance;
  };
  while (s.step()) {
    std::string id = s.text(0);
    auto it = hits.find(id);
    if (it == hits.end() || s.i64(4) != 0) continue;
    SearchHit& h = it->second;
    const int64_t created = s.i64(5), expires = s.i64(6);
    if (!o.include_expired) {
      if (o.as_of && created > at) continue;
      if (expires != 0 && expires <= at) {
        if (!o.as_of && relevant(h)) replaced.emplace_back(id, &h);
        continue;
      }
    }
    if (!o.tags.empty()) {
      const json tags = json::parse(s.text(3), nullptr, false);
      if (!tags.is_array() || !has_tags(tags)) continue;
    }
    if (!relevant(h)) continue;
    score(h, s.i64(1), s.dbl(2));
    ranked.emplace_back(std::move(id), &h);
  }
  // A superseded memory that matched brings its current successor, with the match's relevance.
  std::unordered_map<std::string, std::string> replaces;  // successor id -> superseded text
  for (auto& [old_id, oh] : replaced) {
    auto rec = get(old_id);
    if (!rec) continue;
    const std::string old_text = rec->text;
    std::optional<Record> cur;
    for (int hop = 0; rec && hop < 16; ++hop) {
      auto link = std::find_if(rec->links.begin(), rec->links.end(), [](const Link& l) { return l.rel == "superseded_by"; });
      if (link == rec->links.end()) break;
      auto next = get(link->to);
      if (next && !next->deleted && (next->expires == 0 || next->expires > now)) {
        cur = std::move(next);
        break;
      }
      rec = std::move(next);
    }
    if (!cur || (!o.scope.empty() && cur->scope != o.scope) || (!o.kind.empty() && cur->kind != o.kind) ||
        !has_tags(cur->tags))
      continue;
    SearchHit sh;
    sh.bm25 = oh->bm25;
    sh.vector = oh->vector;
    score(sh, cur->updated, cur->importance);
    auto in = std::find_if(ranked.begin(), ranked.end(), [&](const auto& p) { return p.first == cur->id; });
    if (in != ranked.end()) {
      if (sh.score > in->second->score) *in->second = sh;
    } else {
      hits[cur->id] = sh;
      ranked.emplace_back(cur->id, &hits[cur->id]);
    }
    replaces.emplace(cur->id, old_text);  // keeps the first one found
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second->score != b.second->score ? a.second->score > b.second->score : a.first < b.first;
  });
  if (ranked.size() > o.limit) ranked.resize(o.limit);

  std::vector<SearchHit> out;
  auto qwords = words(o.query);
  for (auto& [id, hp] : ranked) {
    SearchHit h = std::move(*hp);
    auto rec = get(id);
    if (!rec) continue;
    h.record = std::move(*rec);
    // Explain the match in words a user can check.
    std::set<std::string> text_words;
    for (auto& w : words(h.record.text)) text_words.insert(w);
    for (auto& t : h.record.tags) text_words.insert(t);
    std::string matched;
    for (auto& w : qwords)
      if (!stopwords().count(w) && text_words.count(w) && matched.find("\"" + w + "\"") == std::string::npos)
        matched += (matched.empty() ? "" : ", ") + ("\"" + w + "\"");
    if (auto r = replaces.find(id); r != replaces.end()) {
      h.why.push_back("replaces \"" + r->second + "\", which matched");
    } else if (h.bm25 > 0) {
      h.why.push_back("keywords " + (matched.empty() ? std::string("(stemmed)") : matched));
    }
    if (h.vector > 0 && o.mode != SearchMode::bm25) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "vector similarity %.3f (%s)", h.vector, cache_->model.c_str());
      h.why.push_back(buf);
    }
    if (o.mode == SearchMode::hybrid && h.recency > 0.5) h.why.push_back("recently updated");
    if (o.mode == SearchMode::hybrid && h.importance >= 0.8) h.why.push_back("marked important");
    out.push_back(std::move(h));
  }
  return out;
}

std::string prompt_line(const Record& r) {
  return "- [" + r.kind + "] " + r.text + " (" + format_time(r.updated).substr(0, 10) + ")\n";
}

std::string format_for_prompt(const std::vector<SearchHit>& hits, size_t max_chars) {
  if (hits.empty()) return {};
  std::string out =
      "Things you remember about the user (from their hearth memory; newer statements override older "
      "ones):\n";
  for (const auto& h : hits) {
    const std::string line = prompt_line(h.record);
    if (out.size() + line.size() > max_chars) break;
    out += line;
  }
  return out;
}

}  // namespace hearth::memory
