// `hearth run` and `hearth logits` end to end, as a user runs them.
#include <gtest/gtest.h>

#include <fstream>

#include "core/json.h"
#include "gguf/gguf.h"
#include "support/shared_data.h"

namespace hearth::test {
namespace {

std::string model(const std::string& name) { return shared_path("models/" + name).string(); }

json golden(const std::string& name) { return json::parse(read_file(shared_path("golden/" + name))); }

std::string q(const std::string& s) {  // single-quote for the shell
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(CliRun, StoriesGreedyTextMatchesLlamaCpp) {
  HEARTH_REQUIRE_SHARED();
  json g = golden("stories260K.json");
  for (const auto& p : g["prompts"]) {
    std::string out, err;
    int rc = run_command(hearth_bin() + " run -m " + model("stories260K.gguf") + " -p " + q(p["text"]) +
                             " -n 32 --temp 0 -t 2",
                         &out, &err);
    ASSERT_EQ(rc, 0) << err;
    EXPECT_EQ(out, p["greedy_text"].get<std::string>() + "\n");
    EXPECT_NE(err.find("tok/s"), std::string::npos) << err;
  }
}

TEST(CliRun, JsonOutputHasTokensTextAndTimings) {
  HEARTH_REQUIRE_SHARED();
  json g = golden("tiny-qwen2-bpe-Q8_0.json");
  const auto& p = g["prompts"][1];
  std::string out, err;
  int rc = run_command(hearth_bin() + " run -m " + model("tiny-qwen2-bpe-Q8_0.gguf") + " -p " + q(p["text"]) +
                           " -n 4 --temp 0 --json",
                       &out, &err);
  ASSERT_EQ(rc, 0) << err;
  json j = json::parse(out);
  EXPECT_EQ(j["prompt_tokens"], p["tokens"]);
  ASSERT_EQ(j["tokens"].size(), 4u);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(j["tokens"][k], p["greedy"][k]);
  EXPECT_TRUE(j["text"].is_string());
  for (const char* key : {"prompt_ms", "prompt_tokens_per_s", "gen_ms", "gen_tokens_per_s"})
    EXPECT_TRUE(j["timings"][key].is_number()) << key;
}

TEST(CliRun, SampledRunIsReproducibleWithASeed) {
  HEARTH_REQUIRE_SHARED();
  std::string cmd = hearth_bin() + " run -m " + model("stories260K.gguf") +
                    " -p 'Once upon a time' -n 24 --temp 0.9 --top-k 20 --top-p 0.9 --seed 42 --repeat-penalty 1.1 --json";
  std::string a, b;
  ASSERT_EQ(run_command(cmd, &a), 0);
  ASSERT_EQ(run_command(cmd, &b), 0);
  EXPECT_EQ(json::parse(a)["tokens"], json::parse(b)["tokens"]);
}

TEST(CliRun, IgnoredSlidingWindowIsReported) {
  HEARTH_REQUIRE_SHARED();
  // The shared Phi-3 file carries attention.sliding_window = 2047, which llama.cpp (and so hearth)
  // does not apply: the user is told, not left to guess; files without the key run quietly.
  std::string out, err;
  int rc = run_command(hearth_bin() + " run -m " + model("tiny-phi3-Q8_0.gguf") + " -p hi -n 2 --temp 0", &out, &err);
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(err.find("phi3.attention.sliding_window = 2047 is ignored"), std::string::npos) << err;
  rc = run_command(hearth_bin() + " run -m " + model("tiny-llama-Q8_0.gguf") + " -p hi -n 2 --temp 0", &out, &err);
  ASSERT_EQ(rc, 0) << err;
  EXPECT_EQ(err.find("sliding_window"), std::string::npos) << err;
}

TEST(CliLogits, JsonMatchesGoldenFormatAndValues) {
  HEARTH_REQUIRE_SHARED();
  json g = golden("tiny-llama-F32.json");
  const auto& p = g["prompts"][0];
  std::string out, err;
  int rc = run_command(hearth_bin() + " logits -m " + model("tiny-llama-F32.gguf") + " -p " + q(p["text"]) + " --json",
                       &out, &err);
  ASSERT_EQ(rc, 0) << err;
  json j = json::parse(out);
  EXPECT_EQ(j["tokens"], p["tokens"]);
  ASSERT_EQ(j["prompt_top"].size(), p["prompt_top"].size());
  for (size_t i = 0; i < p["prompt_top"].size(); ++i) {
    const auto& ours = j["prompt_top"][i];
    const auto& ref = p["prompt_top"][i];
    EXPECT_EQ(ours["pos"], ref["pos"]);
    EXPECT_NEAR(ours["lse"].get<double>(), ref["lse"].get<double>(), 0.02);
    ASSERT_EQ(ours["top"].size(), 10u);
    EXPECT_EQ(ours["top"][0][0], ref["top"][0][0]) << "position " << i;
    EXPECT_NEAR(ours["top"][0][1].get<double>(), ref["top"][0][1].get<double>(), 0.02);
    for (size_t k = 1; k < 10; ++k)  // sorted, descending
      EXPECT_GE(ours["top"][k - 1][1].get<double>(), ours["top"][k][1].get<double>());
  }
}

TEST(CliErrors, MissingFileNotGgufAndUsage) {
  HEARTH_REQUIRE_SHARED();
  std::string out, err;
  EXPECT_EQ(run_command(hearth_bin() + " run -m /nonexistent/model.gguf -p hi", &out, &err), 1);
  EXPECT_NE(err.find("/nonexistent/model.gguf"), std::string::npos) << err;

  auto dir = make_temp_dir("hearth-cli");
  std::string txt = (dir / "notes.gguf").string();
  std::ofstream(txt) << "this is not a gguf file at all\n";
  EXPECT_EQ(run_command(hearth_bin() + " logits -m " + txt + " -p hi", &out, &err), 1);
  EXPECT_NE(err.find("notes.gguf"), std::string::npos) << err;

  EXPECT_EQ(run_command(hearth_bin() + " run -p hi", &out, &err), 2);  // -m missing
  EXPECT_EQ(run_command(hearth_bin() + " run -m " + model("stories260K.gguf") + " -p hi --min-p 2", &out, &err), 2);
  EXPECT_EQ(run_command(hearth_bin() + " logits -m " + model("stories260K.gguf") + " -p hi --top 0", &out, &err), 2);
  for (const char* cmd : {"run", "logits", "chat"}) {
    EXPECT_EQ(run_command(hearth_bin() + " " + cmd + " --help", &out, &err), 0) << cmd;
    EXPECT_NE(out.find("--model"), std::string::npos) << cmd;
  }
}

TEST(CliErrors, PromptLongerThanContext) {
  HEARTH_REQUIRE_SHARED();
  std::string out, err;
  EXPECT_EQ(run_command(hearth_bin() + " run -m " + model("stories260K.gguf") +
                            " -p 'Once upon a time there was a girl' --ctx-size 4",
                        &out, &err),
            1);
  EXPECT_NE(err.find("does not fit in the context size of 4"), std::string::npos) << err;
  EXPECT_EQ(run_command(hearth_bin() + " logits -m " + model("stories260K.gguf") +
                            " -p 'Once upon a time there was a girl' --ctx-size 4",
                        &out, &err),
            1);
  EXPECT_NE(err.find("context"), std::string::npos) << err;
}

TEST(CliRun, FullContextStopsWithAMessageOrShiftsWhenAsked) {
  HEARTH_REQUIRE_SHARED();
  const std::string base = hearth_bin() + " run -m " + model("tiny-llama-Q8_0.gguf") + " -p 'hello world' -c 16 -n 40 --temp 0 -t 2";
  std::string out, err;
  ASSERT_EQ(run_command(base, &out, &err), 0) << err;
  EXPECT_NE(err.find("context of 16 tokens is full"), std::string::npos) << err;
  ASSERT_EQ(run_command(base + " --json", &out, &err), 0) << err;
  json stopped = json::parse(out);
  EXPECT_EQ(stopped["stop"], "context_full");
  EXPECT_EQ(stopped["shifted_tokens"], 0);

  ASSERT_EQ(run_command(base + " --context-shift --keep 2 --json", &out, &err), 0) << err;
  json shifted = json::parse(out);
  EXPECT_GT(shifted["shifted_tokens"].get<int>(), 0) << out;
  EXPECT_GT(shifted["tokens"].size(), stopped["tokens"].size()) << out;
  if (shifted["stop"] == "length") {
    EXPECT_EQ(shifted["tokens"].size(), 40u);
  }
  // Up to the first shift the greedy output is the same.
  for (size_t i = 0; i < stopped["tokens"].size() && i < shifted["tokens"].size(); ++i)
    EXPECT_EQ(shifted["tokens"][i], stopped["tokens"][i]) << i;
  ASSERT_EQ(run_command(base + " --context-shift", &out, &err), 0) << err;
  EXPECT_NE(err.find("[context shifted:"), std::string::npos) << err;
  EXPECT_EQ(run_command(base + " --keep -1", &out, &err), 2) << err;
}

TEST(CliRun, KvCacheTypes) {
  HEARTH_REQUIRE_SHARED();
  const std::string base = hearth_bin() + " run -m " + model("tiny-llama-F32.gguf") + " -p 'hello world' -n 8 --temp 0 -t 2 --json";
  std::string out, err;
  ASSERT_EQ(run_command(base, &out, &err), 0) << err;
  const json f32 = json::parse(out);
  ASSERT_EQ(run_command(base + " --cache-type-k f16 --cache-type-v f16", &out, &err), 0) << err;
  const json f16 = json::parse(out);
  EXPECT_EQ(f16["tokens"].size(), f32["tokens"].size());
  ASSERT_EQ(run_command(base + " --ctk q8_0 --ctv q4_0", &out, &err), 0) << err;
  // A type the cache cannot hold, or one this model's head dimension cannot split into blocks
  // (stories260K's is 8), is bad usage, named.
  EXPECT_EQ(run_command(base + " --cache-type-k q4_K", &out, &err), 2);
  EXPECT_NE(err.find("--cache-type-k"), std::string::npos) << err;
  EXPECT_EQ(run_command(hearth_bin() + " run -m " + model("stories260K.gguf") + " -p hi -n 2 --ctk q8_0", &out, &err), 2);
  EXPECT_NE(err.find("multiple of 32; this model's is 8"), std::string::npos) << err;
  // bench reports the smaller cache.
  const std::string bench = hearth_bin() + " bench -m " + model("tiny-llama-F32.gguf") + " -p 8 -n 2 -r 1 -t 1 -q -o json";
  ASSERT_EQ(run_command(bench, &out, &err), 0) << err;
  const uint64_t kv32 = json::parse(out)["kv_bytes"];
  ASSERT_EQ(run_command(bench + " --ctk f16 --ctv f16", &out, &err), 0) << err;
  EXPECT_EQ(json::parse(out)["kv_bytes"].get<uint64_t>() * 2, kv32);
}

TEST(CliRun, SpeculativeDecodingKeepsTheGreedyText) {
  HEARTH_REQUIRE_SHARED();
  const std::string base = hearth_bin() + " run -m " + model("stories260K.gguf") + " -p 'Once upon a time' -n 80 --temp 0 -t 2 --json";
  std::string out, err;
  ASSERT_EQ(run_command(base, &out, &err), 0) << err;
  const json plain = json::parse(out);
  for (const std::string& flags : {" --draft-model " + model("stories260K.gguf") + " --draft-max 4",
                                   " --draft-model " + model("tiny-llama-Q8_0.gguf") + " --draft-p-min 0",
                                   std::string(" --lookup-ngram 2")}) {
    ASSERT_EQ(run_command(base + flags, &out, &err), 0) << flags << ": " << err;
    const json spec = json::parse(out);
    EXPECT_EQ(spec["tokens"], plain["tokens"]) << flags;
    EXPECT_GT(spec["speculative"]["drafted"].get<int>(), 0) << flags;
  }
  ASSERT_EQ(run_command(base.substr(0, base.size() - 7) + " --draft-model " + model("stories260K.gguf"), &out, &err), 0);
  EXPECT_NE(err.find("drafted tokens accepted"), std::string::npos) << err;
  // Refusals: both drafters, a grammar, a vocabulary that differs.
  EXPECT_EQ(run_command(base + " --lookup-ngram 2 --draft-model " + model("stories260K.gguf"), &out, &err), 2);
  EXPECT_NE(err.find("not both"), std::string::npos) << err;
  EXPECT_EQ(run_command(base + " --lookup-ngram 2 --json-schema '{\"type\":\"object\"}'", &out, &err), 2);
  EXPECT_NE(err.find("does not combine"), std::string::npos) << err;
  EXPECT_EQ(run_command(base + " --draft-model " + model("tiny-qwen2-bpe-Q8_0.gguf"), &out, &err), 2);
  EXPECT_NE(err.find("must share the target's vocabulary"), std::string::npos) << err;
}

TEST(CliErrors, UnsupportedArchitecture) {
  HEARTH_REQUIRE_SHARED();
  auto src = gguf::File::open(model("stories260K.gguf"));
  gguf::Writer w;
  for (const auto& [k, v] : src.metadata()) w.set(k, v);
  w.set("general.architecture", gguf::Value::str("mamba"));
  for (const auto& t : src.tensors()) w.add_tensor(t.name, t.type, t.dims, t.data, t.nbytes);
  std::string path = (make_temp_dir("hearth-cli") / "mamba.gguf").string();
  w.write(path);
  std::string out, err;
  EXPECT_EQ(run_command(hearth_bin() + " run -m " + path + " -p hi", &out, &err), 1);
  EXPECT_NE(err.find("architecture 'mamba' is not supported"), std::string::npos) << err;
}

}  // namespace
}  // namespace hearth::test
