// `hearth logits`: the top logits at every prompt position, in the format of llama.cpp's golden
// files (shared/golden/README.md), for comparing against a reference implementation.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>

#include "cli/command.h"
#include "cli/env_options.h"
#include "cli/gpu_flags.h"
#include "core/error.h"
#include "core/json.h"
#include "core/thread_pool.h"
#include "engine/loader.h"
#include "model/kv_cache.h"

namespace hearth::cli {
namespace {

struct LogitsFlags {
  std::string model, prompt;
  int top = 10;
  int64_t n_ctx = 0;
  int n_threads = 0;
  bool json = false;
  bool no_bos = false;
  GpuFlags gpu;
};

std::string fmt_float(float x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

int run(const LogitsFlags& f) {
  if (f.top < 1) fail(Errc::invalid_argument, "--top must be at least 1");
  if (f.n_ctx < 0) fail(Errc::invalid_argument, "--ctx-size must be >= 0");
  model::LoadOptions load = load_options_from_env();
  apply_gpu_flags(f.gpu, load);
  auto lm = engine::load_model(f.model, load);
  const auto& m = *lm.model;
  std::vector<int32_t> tokens = lm.tokenizer->encode(f.prompt, !f.no_bos, false);
  if (tokens.empty()) fail(Errc::invalid_argument, "the prompt is empty (and no BOS token is added)");
  const int64_t n_ctx = f.n_ctx > 0 ? f.n_ctx : m.default_n_ctx();
  if (static_cast<int64_t>(tokens.size()) > n_ctx)
    fail(Errc::out_of_range, "prompt of " + std::to_string(tokens.size()) + " tokens does not fit in the context size of " +
                                 std::to_string(n_ctx));
  ThreadPool pool(f.n_threads);
  model::KvCache cache(m.hparams(), n_ctx);
  std::vector<float> logits;
  m.forward(cache, tokens, true, logits, &pool);

  const int64_t V = m.n_vocab();
  const int k = static_cast<int>(std::min<int64_t>(f.top, V));
  // JSON numbers are written by hand with %.9g so every float32 round-trips exactly.
  std::string out = "{\"tokens\":" + json(tokens).dump() + ",\"prompt_top\":[";
  std::vector<int32_t> ids(static_cast<size_t>(V));
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    const float* l = &logits[pos * V];
    float mx = *std::max_element(l, l + V);
    double sum = 0;
    for (int64_t i = 0; i < V; ++i) sum += std::exp(static_cast<double>(l[i]) - mx);
    const float lse = static_cast<float>(mx + std::log(sum));
    std::iota(ids.begin(), ids.end(), 0);
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                      [&](int32_t a, int32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); });
    if (f.json) {
      out += (pos ? "," : "") + std::string("{\"pos\":") + std::to_string(pos) + ",\"lse\":" + fmt_float(lse) + ",\"top\":[";
      for (int i = 0; i < k; ++i)
        out += (i ? "," : "") + std::string("[") + std::to_string(ids[i]) + "," + fmt_float(l[ids[i]]) + "]";
      out += "]}";
    } else {
      std::printf("pos %zu  token %d %s  lse %s\n", pos, tokens[pos],
                  json(lm.tokenizer->token_to_piece(tokens[pos])).dump(-1, ' ', false, json::error_handler_t::replace).c_str(),
                  fmt_float(lse).c_str());
      for (int i = 0; i < k; ++i)
        std::printf("  %6d  %-14s %s\n", ids[i],
                    json(lm.tokenizer->token_to_piece(ids[i])).dump(-1, ' ', false, json::error_handler_t::replace).c_str(),
                    fmt_float(l[ids[i]]).c_str());
    }
  }
  if (f.json) std::printf("%s]}\n", out.c_str());
  return kExitOk;
}

}  // namespace

Command logits_command() {
  return {"logits", "Print the top logits at every prompt position (golden-file format with --json)",
                 [](CLI::App& app) {
                   auto f = std::make_shared<LogitsFlags>();
                   app.add_option("-m,--model", f->model, "GGUF model file")->required();
                   add_gpu_flags(app, f->gpu);
                   app.add_option("-p,--prompt", f->prompt, "Prompt text")->required();
                   app.add_option("--top", f->top, "How many logits per position")->capture_default_str();
                   app.add_option("--ctx-size,-c", f->n_ctx, "Context size (default: model's, capped at 4096)");
                   app.add_option("-t,--threads", f->n_threads, "Threads (default: all cores)");
                   app.add_flag("--no-bos", f->no_bos, "Do not add the BOS token the vocabulary asks for");
                   app.add_flag("--json", f->json, "JSON output: {\"tokens\":[...],\"prompt_top\":[...]}");
                   return [f]() { return run(*f); };
                 }};
  }

  }  // namespace hearth::cli
