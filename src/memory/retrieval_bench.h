// Retrieval benchmark behind `hearth memory bench` (bench/memory/run.sh): recall@k of LoCoMo's
// evidence turns for BM25, vector and hybrid search, and search latency at scale.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"
#include "memory/embedder.h"
#include "memory/store.h"

namespace hearth::memory::bench {

struct Turn {
  std::string dia_id, text;
};
struct Question {
  std::string text;
  std::vector<std::string> evidence;  // dia_ids
  int category = 0;
};
struct Conversation {
  std::string id;
  std::vector<Turn> turns;
  std::vector<Question> questions;
};

// Parses LoCoMo's locomo10.json (conversation.session_N lists of {speaker, dia_id, text}, qa
// list of {question, evidence, category}). Evidence ids that name no turn are dropped; questions
// left without evidence are skipped (counted in *skipped). Throws Errc::format naming the place.
std::vector<Conversation> load_locomo(const std::filesystem::path& file, size_t* skipped = nullptr);

struct RecallResult {
  std::string mode;  // bm25, vector, hybrid
  std::string embedder;
  size_t questions = 0;
  // Share of questions whose evidence turns are all in the top k, and the mean share of each
  // question's evidence turns found in the top k.
  double all_at5 = 0, all_at10 = 0, any_at5 = 0, frac_at5 = 0, frac_at10 = 0;
  double mean_ms = 0;
};

// Ingests each conversation's turns as episode memories into a fresh store under `work_dir`
// and asks each question in every mode.
std::vector<RecallResult> run_recall(const std::vector<Conversation>& convs, Embedder& embedder,
                                     const std::filesystem::path& work_dir);

struct LatencyResult {
  std::string mode, embedder;
  size_t memories = 0, queries = 0;
  double p50_ms = 0, p99_ms = 0, mean_ms = 0;
  double ingest_s = 0;  // time to insert and embed the memories
};

// Fills a store with `n` memories built from the corpus turns (cycled, each made unique) and
// times `queries` searches (the corpus questions) per mode.
std::vector<LatencyResult> run_latency(const std::vector<Conversation>& convs, Embedder& embedder,
                                       const std::filesystem::path& work_dir, size_t n, size_t queries);

json to_json(const RecallResult& r);
json to_json(const LatencyResult& r);

}  // namespace hearth::memory::bench
