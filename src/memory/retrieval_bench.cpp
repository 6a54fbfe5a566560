#include "memory/retrieval_bench.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <unordered_map>

#include "core/error.h"

namespace hearth::memory::bench {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string str_field(const json& j, const char* k) {
  if (!j.contains(k)) return {};
  if (j[k].is_string()) return j[k].get<std::string>();
  if (j[k].is_number()) return j[k].dump();
  return {};
}

// LoCoMo sometimes packs several ids in one string ("D8:6; D9:17").
std::vector<std::string> split_ids(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ';' || c == ',' || c == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::filesystem::path fresh_db(const std::filesystem::path& dir, const std::string& name) {
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  return p;
}

const SearchMode kModes[] = {SearchMode::bm25, SearchMode::vector, SearchMode::hybrid};
const char* mode_name(SearchMode m) { return m == SearchMode::bm25 ? "bm25" : m == SearchMode::vector ? "vector" : "hybrid"; }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * double(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

std::vector<Conversation> load_locomo(const std::filesystem::path& file, size_t* skipped) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(Errc::not_found, "cannot read " + file.string());
  json root;
  try {
    root = json::parse(in);
  } catch (const json::exception& e) {
    fail(Errc::format, file.string() + " is not valid JSON: " + e.what());
  }
  if (!root.is_array()) fail(Errc::format, file.string() + ": expected a JSON array of conversations");
  std::vector<Conversation> out;
  size_t skip = 0;
  for (size_t ci = 0; ci < root.size(); ++ci) {
    const json& c = root[ci];
    std::string where = file.string() + ": conversation " + std::to_string(ci);
    if (!c.is_object() || !c.contains("conversation") || !c["conversation"].is_object())
      fail(Errc::format, where + " has no \"conversation\" object");
    Conversation conv;
    conv.id = c.contains("sample_id") ? str_field(c, "sample_id") : std::to_string(ci);
    std::set<std::string> ids;
    for (auto& [key, val] : c["conversation"].items()) {
      if (key.rfind("session_", 0) != 0 || !val.is_array()) continue;
      for (const auto& t : val) {
        if (!t.is_object()) fail(Errc::format, where + " " + key + ": a turn is not an object");
        Turn turn{str_field(t, "dia_id"), str_field(t, "text")};
        if (turn.dia_id.empty()) fail(Errc::format, where + " " + key + ": a turn has no dia_id");
        std::string speaker = str_field(t, "speaker");
        if (!speaker.empty()) turn.text = speaker + ": " + turn.text;
        if (std::string cap = str_field(t, "blip_caption"); !cap.empty()) turn.text += " [shares a photo: " + cap + "]";
        if (turn.text.empty() || !ids.insert(turn.dia_id).second) continue;
        conv.turns.push_back(std::move(turn));
      }
    }
    if (c.contains("qa") && c["qa"].is_array()) {
      for (const auto& q : c["qa"]) {
        Question qu;
        qu.text = str_field(q, "question");
        qu.category = q.contains("category") && q["category"].is_number_integer() ? q["category"].get<int>() : 0;
        if (q.contains("evidence") && q["evidence"].is_array())
          for (const auto& e : q["evidence"])
            if (e.is_string())
              for (auto& id : split_ids(e.get<std::string>()))
                if (ids.count(id) && std::find(qu.evidence.begin(), qu.evidence.end(), id) == qu.evidence.end())
                  qu.evidence.push_back(id);
        if (qu.text.empty() || qu.evidence.empty()) {
          ++skip;
          continue;
        }
        conv.questions.push_back(std::move(qu));
      }
    }
    out.push_back(std::move(conv));
  }
  if (skipped) *skipped = skip;
  return out;
}

std::vector<RecallResult> run_recall(const std::vector<Conversation>& convs, Embedder& embedder,
                                     const std::filesystem::path& work_dir) {
  std::vector<RecallResult> res;
  for (auto m : kModes) res.push_back({mode_name(m), embedder.name()});
  for (const auto& conv : convs) {
    Store store(fresh_db(work_dir, "recall.db"), &embedder);
    std::unordered_map<std::string, std::string> dia_of;  // memory id -> dia_id
    store.batch([&] {
      for (const auto& t : conv.turns) {
        Record r;
        r.id = "locomo-" + conv.id + "-" + t.dia_id;
        r.kind = "episode";
        r.text = t.text;
        r.created = r.updated = 1700000000000;
        r.source.conversation = conv.id;
        store.put(r, false);
        dia_of[r.id] = t.dia_id;
      }
    });
    store.reembed();
    for (size_t mi = 0; mi < 3; ++mi) {
      auto& R = res[mi];
      for (const auto& q : conv.questions) {
        SearchOptions o;
        o.query = q.text;
        o.limit = 10;
        o.mode = kModes[mi];
        o.min_similarity = -1;  // rank only: recall of the ranking, as before the floor existed
        auto t0 = Clock::now();
        auto hits = store.search(o);
        R.mean_ms += ms_since(t0);
        std::set<std::string> top5, top10;
        for (size_t i = 0; i < hits.size(); ++i) {
          const auto& d = dia_of[hits[i].record.id];
          if (i < 5) top5.insert(d);
          top10.insert(d);
        }
        size_t f5 = 0, f10 = 0;
        for (const auto& e : q.evidence) {
          f5 += top5.count(e);
          f10 += top10.count(e);
        }
        double n = double(q.evidence.size());
        R.questions++;
        R.all_at5 += f5 == q.evidence.size();
        R.all_at10 += f10 == q.evidence.size();
        R.any_at5 += f5 > 0;
        R.frac_at5 += f5 / n;
        R.frac_at10 += f10 / n;
      }
    }
  }
  for (auto& R : res) {
    double n = R.questions ? double(R.questions) : 1;
    R.all_at5 /= n, R.all_at10 /= n, R.any_at5 /= n, R.frac_at5 /= n, R.frac_at10 /= n, R.mean_ms /= n;
  }
  return res;
}

std::vector<LatencyResult> run_latency(const std::vector<Conversation>& convs, Embedder& embedder,
                                       const std::filesystem::path& work_dir, size_t n, size_t queries) {
  std::vector<const Turn*> turns;
  std::vector<const Question*> qs;
  for (const auto& c : convs) {
    for (const auto& t : c.turns) turns.push_back(&t);
    for (const auto& q : c.questions) qs.push_back(&q);
  }
  if (turns.empty() || qs.empty()) fail(Errc::invalid_argument, "the benchmark corpus has no turns or questions");
  Store store(fresh_db(work_dir, "latency-" + std::to_string(n) + ".db"), &embedder);
  auto t0 = Clock::now();
  const size_t chunk = 5000;
  for (size_t start = 0; start < n; start += chunk) {
    store.batch([&] {
      for (size_t i = start; i < std::min(n, start + chunk); ++i) {
        Record r;
        r.id = "bench-" + std::to_string(i);
        r.kind = "episode";
        // Cycle through the corpus; the copy number keeps repeated texts distinct.
        r.text = turns[i % turns.size()]->text + " (copy " + std::to_string(i / turns.size()) + ")";
        r.created = r.updated = 1700000000000 + int64_t(i);
        store.put(r, false);
      }
    });
  }
  store.reembed();
  double ingest_s = ms_since(t0) / 1000;
  std::vector<LatencyResult> out;
  for (auto m : kModes) {
    SearchOptions warm;
    warm.query = "warm up the caches";
    warm.mode = m;
    store.search(warm);  // loads the vector cache once, as a long-running server would have
    std::vector<double> times;
    for (size_t i = 0; i < queries; ++i) {
      SearchOptions o;
      o.query = qs[i % qs.size()]->text;
      o.limit = 10;
      o.mode = m;
      o.min_similarity = -1;
      auto t1 = Clock::now();
      store.search(o);
      times.push_back(ms_since(t1));
    }
    LatencyResult L{mode_name(m), embedder.name(), n, queries};
    L.p50_ms = percentile(times, 0.50);
    L.p99_ms = percentile(times, 0.99);
    for (double t : times) L.mean_ms += t / double(times.size());
    L.ingest_s = ingest_s;
    out.push_back(L);
  }
  return out;
}

json to_json(const RecallResult& r) {
  return {{"mode", r.mode}, {"embedder", r.embedder}, {"questions", r.questions}, {"recall_all@5", r.all_at5},
          {"recall_all@10", r.all_at10}, {"hit_any@5", r.any_at5}, {"evidence_recall@5", r.frac_at5},
          {"evidence_recall@10", r.frac_at10}, {"mean_ms", r.mean_ms}};
}

json to_json(const LatencyResult& r) {
  return {{"mode", r.mode}, {"embedder", r.embedder}, {"memories", r.memories}, {"queries", r.queries},
          {"p50_ms", r.p50_ms}, {"p99_ms", r.p99_ms}, {"mean_ms", r.mean_ms}, {"ingest_s", r.ingest_s}};
}

}  // namespace hearth::memory::bench
