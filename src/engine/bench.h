// `hearth bench`: prompt-processing and generation speed of a model, measured the way
// llama-bench measures it so the two can be read side by side. pp: one forward pass of
// n_prompt tokens on an empty cache; tg: n_gen single-token steps starting from an empty cache.
// With depths (llama-bench's -d), both run again with N tokens already in the cache ("pp512 @
// d4096"): the depth is filled once, untimed, and every repetition starts back at it.
// Every repetition recomputes its own tokens (nothing of the timed part is reused).
// With a grammar, two more tests measure what constrained sampling costs: tgN+sampling samples
// each next token from the logits (seeded, default settings) and tgN+grammar does the same under
// the grammar (restarted whenever a sentence completes), so their ratio is the grammar's price.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "engine/speculative.h"
#include "model/model.h"
#include "sampling/grammar.h"

namespace hearth::engine {

struct BenchOptions {
  std::string model_path;
  int64_t n_prompt = 512;  // 0: skip pp
  int64_t n_gen = 128;     // 0: skip tg
  std::vector<int64_t> depths = {0};  // tokens already in the cache for each test
  model::KvTypes kv_types;            // --cache-type-k / --cache-type-v
  // Adds tgN+draft: greedy generation with speculative decoding from this draft model (or, with
  // lookup_ngram > 0, prompt lookup), reporting the share of drafted tokens accepted.
  std::string draft_model;
  int64_t lookup_ngram = 0;
  SpeculativeOptions speculative;
  int n_threads = 0;       // <= 0: all hardware threads
  int reps = 5;
  std::string commit;      // build commit, reported as is
  model::LoadOptions load;  // ISA path and weight layout
  std::shared_ptr<const sampling::Grammar> grammar;  // adds the sampling and grammar tg tests
  std::string grammar_label;                          // how the report names it
};

struct BenchTest {
  std::string name;  // "pp512", "tg128", "pp512 @ d4096"
  int64_t n_prompt = 0, n_gen = 0, n_depth = 0;
  std::vector<double> seconds;  // one per repetition
  std::vector<double> tps;      // tokens/s per repetition
  double mean_tps = 0, stddev_tps = 0;
  double weight_gbps = 0;       // tg only: weight bytes streamed per second (GB/s, 1e9)
  int64_t grammar_masks = 0;    // tg+grammar: steps where the whole vocabulary was masked
  int64_t drafted = 0, accepted = 0;  // tg+draft, over all repetitions
};

struct BenchReport {
  std::string model_path, arch, type, desc;  // desc: "llama 1B Q4_K_M"
  uint64_t file_bytes = 0;
  uint64_t weight_bytes_per_token = 0;  // bytes of weights one decode step reads
  uint64_t kv_bytes = 0;                // KV cache the bench allocates
  int64_t n_params = 0;
  int threads = 0;
  std::string isa;
  std::vector<std::string> cpu_features;
  // "CPU", or "Vulkan" when layers run on a GPU (-ngl): which device, how many layers, and how
  // long loading them onto it took.
  std::string backend = "CPU";
  std::string gpu_device;
  int64_t gpu_layers = 0;
  bool gpu_integer_dot = false;  // quantized matmuls through the device's integer dot product
  bool gpu_experts = false;      // a mixture's experts on the device (false: on the CPU, --cpu-moe)
  double upload_seconds = 0;
  uint64_t gpu_weight_bytes = 0;  // weights uploaded to the device
  std::string commit;
  std::vector<BenchTest> tests;
  uint64_t peak_rss_bytes = 0;
};

// Loads the model and runs the tests. `progress` (optional) receives one line per step.
// Throws Error(invalid_argument) for bad options, and the loader's errors for bad files.
BenchReport run_bench(const BenchOptions& opts, const std::function<void(const std::string&)>& progress = {});

// llama-bench's markdown table: | model | size | params | backend | threads | test | t/s |.
std::string bench_markdown(const BenchReport& r, bool header = true);
ordered_json bench_json(const BenchReport& r);

}  // namespace hearth::engine
