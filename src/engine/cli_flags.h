// Command-line flags shared by `hearth run` and `hearth chat` (header-only: only the CLI, which
// links CLI11, includes it).
#pragma once
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "engine/session.h"
#include "sampling/sampler.h"

namespace hearth::engine {

struct GenerationFlags {
  std::string model;
  int64_t n_predict = 128;
  int64_t n_ctx = 0;
  int n_threads = 0;
  sampling::Params sampling;
  bool json = false;
};

inline void add_generation_flags(CLI::App& app, GenerationFlags& f) {
  app.add_option("-m,--model", f.model, "GGUF model file")->required();
  app.add_option("-n,--n-predict", f.n_predict, "Maximum tokens to generate (-1: until end or full context)")
      ->capture_default_str();
  app.add_option("--ctx-size,-c", f.n_ctx, "Context size in tokens (default: model's, capped at 4096)");
  app.add_option("-t,--threads", f.n_threads, "Threads (default: all cores)");
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
}

inline SessionOptions session_options(const GenerationFlags& f) {
  SessionOptions o;
  o.n_ctx = f.n_ctx;
  o.n_threads = f.n_threads;
  return o;
}

}  // namespace hearth::engine
