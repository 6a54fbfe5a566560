// The retrieval benchmark's parsing and recall arithmetic on a hand-made LoCoMo-shaped file whose
// BM25 answers are known, and the `hearth memory bench` command end to end.
#include <gtest/gtest.h>

#include <fstream>

#include "helpers.h"
#include "memory/retrieval_bench.h"

using namespace hearth::memory;
using hearth::memory::test::data_file;

TEST(MemoryRetrievalBench, LoadsLocomoAndSkipsQuestionsWithoutEvidence) {
  size_t skipped = 0;
  auto convs = bench::load_locomo(data_file("locomo_tiny.json"), &skipped);
  ASSERT_EQ(convs.size(), 1u);
  EXPECT_EQ(convs[0].id, "tiny-1");
  ASSERT_EQ(convs[0].turns.size(), 12u);
  EXPECT_EQ(convs[0].turns[0].text, "Alice: I keep thinking about the harbour lighthouse painting.");
  EXPECT_NE(convs[0].turns[3].text.find("[shares a photo: a photo of a violin case]"), std::string::npos);
  ASSERT_EQ(convs[0].questions.size(), 3u);
  EXPECT_EQ(skipped, 2u);  // unknown evidence id, empty evidence
  // "D1:7; D1:9" names two turns.
  EXPECT_EQ(convs[0].questions[2].evidence, (std::vector<std::string>{"D1:7", "D1:9"}));
}

TEST(MemoryRetrievalBench, MalformedFilesAreRefusedWithTheirPlace) {
  auto dir = hearth::test::make_temp_dir("hearth-bench");
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "x.json") << text;
    return dir / "x.json";
  };
  auto message = [&](const std::string& text) {
    try {
      bench::load_locomo(write(text));
    } catch (const hearth::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(message("{}").find("expected a JSON array"), std::string::npos);
  EXPECT_NE(message("[{\"qa\": []}]").find("conversation 0"), std::string::npos);
  EXPECT_NE(message(R"([{"conversation": {"session_1": [{"text": "hi"}]}}])").find("session_1: a turn has no dia_id"),
            std::string::npos);
  EXPECT_THROW(bench::load_locomo(dir / "missing.json"), hearth::Error);
  std::filesystem::remove_all(dir);
}

TEST(MemoryRetrievalBench, RecallCountsTheEvidenceInTheTopK) {
  auto convs = bench::load_locomo(data_file("locomo_tiny.json"));
  auto dir = hearth::test::make_temp_dir("hearth-bench");
  HashEmbedder e;
  auto res = bench::run_recall(convs, e, dir);
  ASSERT_EQ(res.size(), 3u);
  // BM25: "zeppelin?" finds its one turn, "quokka?" matches nothing, "marmalade?" finds one of its
  // two turns.
  const auto& b = res[0];
  EXPECT_EQ(b.mode, "bm25");
  EXPECT_EQ(b.questions, 3u);
  EXPECT_DOUBLE_EQ(b.all_at5, 1.0 / 3);
  EXPECT_DOUBLE_EQ(b.all_at10, 1.0 / 3);
  EXPECT_DOUBLE_EQ(b.any_at5, 2.0 / 3);
  EXPECT_DOUBLE_EQ(b.frac_at5, 0.5);
  EXPECT_DOUBLE_EQ(b.frac_at10, 0.5);
  for (const auto& r : res) {
    EXPECT_EQ(r.embedder, e.name());
    EXPECT_EQ(r.questions, 3u);
    EXPECT_LE(r.frac_at5, r.frac_at10);
    EXPECT_LE(r.all_at10, 1.0);
  }
  EXPECT_EQ(res[1].mode, "vector");
  EXPECT_EQ(res[2].mode, "hybrid");
  // Ten of the twelve turns are returned by vector search, so at least one evidence turn of the
  // first two questions is in its top 10.
  EXPECT_GT(res[1].frac_at10, 0.0);
  std::filesystem::remove_all(dir);
}

TEST(MemoryRetrievalBench, CommandReportsRecallAndLatencyAsJson) {
  auto dir = hearth::test::make_temp_dir("hearth-bench");
  std::string out, err;
  std::string cmd = hearth::test::hearth_bin() + " memory bench --hash-only --json --data " +
                    data_file("locomo_tiny.json").string() + " --sizes 50 --queries 5 --work-dir " + dir.string();
  ASSERT_EQ(hearth::test::run_command(cmd, &out, &err), 0) << err;
  auto j = hearth::json::parse(out);
  ASSERT_EQ(j["recall"].size(), 3u);
  EXPECT_EQ(j["recall"][0]["mode"], "bm25");
  EXPECT_DOUBLE_EQ(j["recall"][0]["evidence_recall@5"].get<double>(), 0.5);
  ASSERT_EQ(j["latency"].size(), 3u);
  for (const auto& l : j["latency"]) {
    EXPECT_EQ(l["memories"], 50);
    EXPECT_EQ(l["queries"], 5);
    EXPECT_GE(l["p99_ms"].get<double>(), l["p50_ms"].get<double>());
  }
  EXPECT_EQ(j["skipped_questions"], 2);
  // A bad dataset path is an error naming the file, not a crash.
  EXPECT_NE(hearth::test::run_command(hearth::test::hearth_bin() + " memory bench --data /nonexistent.json", &out, &err), 0);
  EXPECT_NE(err.find("/nonexistent.json"), std::string::npos);
  std::filesystem::remove_all(dir);
}
