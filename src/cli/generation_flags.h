// Command-line flags shared by `hearth run` and `hearth chat` (and some by `serve` and `bench`).
#pragma once
#include <CLI/CLI.hpp>

#include "cli/gpu_flags.h"
#include <cstdint>
#include <memory>
#include <string>

#include "engine/generate.h"
#include "engine/loader.h"
#include "engine/session.h"
#include "engine/speculative.h"
#include "sampling/grammar.h"
#include "sampling/sampler.h"

namespace hearth::cli {

using engine::SessionOptions;

// --cache-type-k / --cache-type-v (llama.cpp's -ctk / -ctv), shared by run, chat, serve and bench.
struct KvCacheFlags {
  std::string k = "f32", v = "f32";
};

inline void add_kv_cache_flags(CLI::App& app, KvCacheFlags& f) {
  app.add_option("--cache-type-k,--ctk", f.k, "KV cache type for keys: f32, f16 (half the memory), q8_0, q4_0")
      ->capture_default_str();
  app.add_option("--cache-type-v,--ctv", f.v, "KV cache type for values: f32, f16, q8_0, q4_0")
      ->capture_default_str();
}

// The names are checked here (model::parse_kv_type, one list for every front end): a bad one is
// Error(invalid_argument) naming the flag, which the front ends report as bad usage.
inline model::KvTypes kv_types(const KvCacheFlags& f) {
  return {model::parse_kv_type(f.k, "--cache-type-k"), model::parse_kv_type(f.v, "--cache-type-v")};
}

// --draft-model, --lookup-ngram, --draft-max/-min/-p-min: shared by run, chat, serve and bench.
inline void add_speculative_flags(CLI::App& app, std::string& draft_model, int64_t& lookup_ngram,
                                  engine::SpeculativeOptions& o) {
  app.add_option("--draft-model,--md", draft_model,
                 "Speculative decoding: a smaller GGUF model with the same vocabulary drafts tokens that this "
                 "model checks in one batch (same output distribution; greedy output unchanged)");
  app.add_option("--lookup-ngram", lookup_ngram,
                 "Speculative decoding without a draft model: when the last N tokens occurred earlier in the "
                 "context, draft what followed them (0: off)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--draft-max", o.draft_max, "Most tokens drafted per step")->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--draft-min", o.draft_min, "Fewer drafted tokens than this decode plainly")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app.add_option("--draft-p-min", o.draft_p_min, "The draft model stops at a token it gives less than this probability")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
}

struct GenerationFlags {
  std::string model;
  int64_t n_predict = 128;
  int64_t n_ctx = 0;
  int n_threads = 0;
  bool context_shift = false;
  int64_t n_keep = 0;
  KvCacheFlags kv;
  GpuFlags gpu;
  std::string draft_model;       // speculative decoding with a draft model
  int64_t lookup_ngram = 0;      // speculative decoding by prompt lookup; 0: off
  engine::SpeculativeOptions speculative;
  sampling::Params sampling;
  bool json = false;
  std::string grammar_file;  // GBNF the output must follow
  std::string json_schema;   // a JSON schema (file, or inline text starting with '{')
};

// The grammar --grammar or --json-schema asks for, or nullptr. Throws Error(invalid_argument)
// naming the flag for a bad file, grammar or schema.
std::shared_ptr<const sampling::Grammar> grammar_from_flags(const GenerationFlags& f);

inline void add_generation_flags(CLI::App& app, GenerationFlags& f) {
  app.add_option("-m,--model", f.model, "GGUF model file")->required();
  app.add_option("-n,--n-predict", f.n_predict, "Maximum tokens to generate (-1: until end or full context)")
      ->capture_default_str();
  app.add_option("--ctx-size,-c", f.n_ctx, "Context size in tokens (default: model's, capped at 4096)");
  app.add_option("-t,--threads", f.n_threads, "Threads (default: all cores)");
  app.add_flag("--context-shift", f.context_shift,
               "When the context fills, drop the oldest half of it (after --keep tokens) and go on "
               "(default: stop there)");
  app.add_option("--keep", f.n_keep, "Tokens at the start that a context shift keeps (default 0)")
      ->check(CLI::NonNegativeNumber);
  add_kv_cache_flags(app, f.kv);
  add_gpu_flags(app, f.gpu);
  add_speculative_flags(app, f.draft_model, f.lookup_ngram, f.speculative);
  auto& p = f.sampling;
  app.add_option("--temp", p.temperature, "Temperature; 0 = greedy")->capture_default_str();
  app.add_option("--seed", p.seed, "Random seed (default: random)");
  app.add_option("--top-k", p.top_k, "Top-k (<= 0: off)")->capture_default_str();
  app.add_option("--top-p", p.top_p, "Top-p (1: off)")->capture_default_str();
  app.add_option("--min-p", p.min_p, "Min-p (0: off)")->capture_default_str();
  app.add_option("--typical", p.typical_p, "Locally typical sampling p (1: off)")->capture_default_str();
  app.add_option("--repeat-penalty", p.repeat_penalty, "Repetition penalty (1: off)")->capture_default_str();
  app.add_option("--repeat-last-n", p.repeat_last_n, "Penalty window (0: off, -1: whole history)")
      ->capture_default_str();
  app.add_option("--frequency-penalty", p.frequency_penalty, "Frequency penalty")->capture_default_str();
  app.add_option("--presence-penalty", p.presence_penalty, "Presence penalty")->capture_default_str();
  auto* g = app.add_option("--grammar,--grammar-file", f.grammar_file, "GBNF grammar file the output must follow");
  auto* j = app.add_option("--json-schema,-j", f.json_schema,
                           "JSON schema the output must follow (a file, or the schema itself starting with '{')");
  g->excludes(j);
}

// engine::make_drafter for the flags, refusing a drafter together with --grammar/--json-schema.
std::unique_ptr<engine::Drafter> drafter_from_flags(const GenerationFlags& f, const engine::LoadedModel& target,
                                                    const SessionOptions& session, const model::LoadOptions& load);

inline SessionOptions session_options(const GenerationFlags& f) {
  SessionOptions o;
  o.n_ctx = f.n_ctx;
  o.n_threads = f.n_threads;
  o.context_shift = f.context_shift;
  o.n_keep = f.n_keep;
  o.kv_types = kv_types(f.kv);
  return o;
}

}  // namespace hearth::cli
