#include "engine/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/error.h"
#include "core/thread_pool.h"
#include "engine/loader.h"
#include "engine/speculative.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "model/quant_mix.h"
#include "sampling/grammar_constraint.h"
#include "sampling/sampler.h"
#include "tensor/dispatch.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t peak_rss() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

std::vector<std::string> feature_names() {
  const auto& f = tensor::cpu_features();
  std::vector<std::string> out;
  auto add = [&](bool on, const char* name) {
    if (on) out.emplace_back(name);
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.bmi2, "bmi2");
  add(f.avxvnni, "avxvnni");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512dq, "avx512dq");
  add(f.avx512vnni, "avx512vnni");
  add(f.avx512bf16, "avx512bf16");
  return out;
}

std::string size_label(int64_t params) {
  char buf[32];
  if (params >= 1000000000) std::snprintf(buf, sizeof buf, "%.0fB", params / 1e9);
  else std::snprintf(buf, sizeof buf, "%.0fM", params / 1e6);
  return buf;
}

void finish(BenchTest& t) {
  const double n = static_cast<double>(t.tps.size());
  if (t.tps.empty()) return;
  double sum = 0;
  for (double x : t.tps) sum += x;
  t.mean_tps = sum / n;
  double var = 0;
  for (double x : t.tps) var += (x - t.mean_tps) * (x - t.mean_tps);
  t.stddev_tps = t.tps.size() > 1 ? std::sqrt(var / (n - 1)) : 0.0;  // sample stddev, as llama-bench
}

// Token ids spread over the vocabulary (values do not change the work done).
std::vector<int32_t> bench_tokens(int64_t n, int64_t n_vocab, int64_t salt) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7919 + salt * 104729 + 1) % n_vocab);
  return t;
}

// tgN+sampling and tgN+grammar: generation that samples its own next token, without and with
// the grammar, from the same seeds.
void sampled_tests(const BenchOptions& o, const model::Model& m, model::KvCache& cache, ThreadPool& pool, BenchReport& r,
                   const std::function<void(const std::string&)>& say) {
  auto tok = tokenizer::Tokenizer::from_gguf(m.file());
  auto bytes = token_bytes_of(*tok);
  const auto n_vocab = static_cast<int32_t>(m.n_vocab());
  std::vector<float> logits;
  for (const bool constrained : {false, true}) {
    BenchTest t;
    t.name = "tg" + std::to_string(o.n_gen) + (constrained ? "+grammar" : "+sampling");
    t.n_gen = o.n_gen;
    for (int rep = 0; rep < o.reps; ++rep) {
      cache.clear();
      sampling::Params p;
      p.seed = 1000 + static_cast<uint64_t>(rep);
      sampling::Sampler s(p, n_vocab);
      auto arm = [&] {
        if (constrained) s.set_constraint(std::make_unique<sampling::GrammarConstraint>(o.grammar, bytes));
      };
      arm();
      int32_t next = tok->bos() >= 0 ? tok->bos() : 0;
      const auto t0 = Clock::now();
      for (int64_t i = 0; i < o.n_gen; ++i) {
        m.forward(cache, std::span<const int32_t>(&next, 1), false, logits, &pool);
        next = s.sample(logits.data());
        s.accept(next);
        if (constrained && bytes->eog(next)) arm();  // a sentence ended: start the next one
      }
      const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
      t.seconds.push_back(sec);
      t.tps.push_back(static_cast<double>(o.n_gen) / sec);
      if (constrained) t.grammar_masks += s.masked_steps();
      say(t.name + " rep " + std::to_string(rep + 1) + ": " + std::to_string(t.tps.back()) + " t/s");
    }
    finish(t);
    r.tests.push_back(std::move(t));
  }
}

// tgN+draft: greedy generation of n_gen tokens after a short prompt, speculatively. The prompt
// repeats a phrase, so prompt lookup has something to find, as in real use (quotes, edits).
void draft_test(const BenchOptions& o, std::shared_ptr<const model::Model> m, BenchReport& r,
                const std::function<void(const std::string&)>& say) {
  std::shared_ptr<const tokenizer::Tokenizer> tok = tokenizer::Tokenizer::from_gguf(m->file());
  SessionOptions so;
  so.n_ctx = 64 + o.n_gen + o.speculative.draft_max;
  so.n_threads = r.threads;
  so.kv_types = o.kv_types;
  const std::unique_ptr<Drafter> drafter =
      make_drafter(o.draft_model, o.lookup_ngram, *m, so, o.load, o.speculative.draft_p_min);
  std::vector<int32_t> prompt = bench_tokens(16, m->n_vocab(), 3);
  const std::vector<int32_t> again(prompt);
  prompt.insert(prompt.end(), again.begin(), again.end());
  BenchTest t;
  t.name = "tg" + std::to_string(o.n_gen) + "+draft";
  t.n_gen = o.n_gen;
  sampling::Params greedy;
  greedy.temperature = 0;
  // The end-of-generation token would stop some runs early and make them incomparable.
  for (int32_t id = 0; id < static_cast<int32_t>(m->n_vocab()); ++id)
    if (tok->is_eog(id)) greedy.logit_bias.push_back({id, -INFINITY});
  for (int rep = 0; rep < o.reps; ++rep) {
    Session s(m, tok, so);
    sampling::Sampler sampler(greedy, static_cast<int32_t>(m->n_vocab()));
    SpeculativeStats st;
    const GenerateResult g = generate_speculative(s, sampler, prompt, o.n_gen, nullptr, drafter.get(), o.speculative, &st);
    const double sec = g.gen_ms / 1000.0;
    t.seconds.push_back(sec);
    t.tps.push_back(static_cast<double>(g.tokens.size()) / sec);
    t.drafted += st.drafted;
    t.accepted += st.accepted;
    say(t.name + " rep " + std::to_string(rep + 1) + ": " + std::to_string(t.tps.back()) + " t/s, " +
        std::to_string(st.accepted) + "/" + std::to_string(st.drafted) + " drafted tokens accepted");
  }
  finish(t);
  r.tests.push_back(std::move(t));
}

}  // namespace

BenchReport run_bench(const BenchOptions& o, const std::function<void(const std::string&)>& progress) {
  if (o.n_prompt < 0 || o.n_gen < 0) fail(Errc::invalid_argument, "-p and -n must be >= 0");
  if (o.n_prompt == 0 && o.n_gen == 0) fail(Errc::invalid_argument, "-p and -n are both 0: nothing to measure");
  if (o.reps < 1) fail(Errc::invalid_argument, "-r must be >= 1");
  if (o.n_prompt > (1 << 20) || o.n_gen > (1 << 20)) fail(Errc::invalid_argument, "-p/-n above 1048576");
  if (o.depths.empty()) fail(Errc::invalid_argument, "-d needs at least one depth");
  for (int64_t d : o.depths)
    if (d < 0 || d > (1 << 20)) fail(Errc::invalid_argument, "-d " + std::to_string(d) + " is outside [0, 1048576]");
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };

  auto m = model::Model::load(o.model_path, o.load);
  const model::HParams& hp = m->hparams();
  const gguf::File& f = m->file();
  const int threads = o.n_threads > 0 ? o.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(threads);

  BenchReport r;
  r.model_path = o.model_path;
  r.arch = m->arch().name;
  r.type = model::file_type_label(f);
  r.file_bytes = f.file_size();
  uint64_t tensor_bytes = 0;
  for (const auto& t : f.tensors()) {
    r.n_params += t.n_elements();
    // A mixture of experts reads only the chosen experts' share of the stacked expert tensors.
    const bool experts = t.name.find("_exps.") != std::string::npos && hp.n_expert > 0;
    tensor_bytes += experts ? t.nbytes / static_cast<uint64_t>(hp.n_expert) * static_cast<uint64_t>(hp.n_expert_used)
                            : t.nbytes;
  }
  // A decode step reads every weight once (every active one, for experts), except that an
  // untied token embedding contributes only the one row it looks up.
  r.weight_bytes_per_token = tensor_bytes;
  if (const gguf::TensorInfo* emb = f.find_tensor("token_embd.weight"); emb && f.find_tensor("output.weight"))
    r.weight_bytes_per_token -= emb->nbytes - emb->nbytes / static_cast<uint64_t>(std::max<int64_t>(1, emb->rows()));
  r.desc = r.arch + " " + size_label(r.n_params) + " " + r.type;
  r.threads = threads;
  r.isa = std::string(tensor::isa_name(m->kernels().isa));
  if (const model::OffloadReport* g = m->offload()) {
    r.backend = "Vulkan";
    r.gpu_device = g->device;
    r.gpu_layers = g->layers;
    r.gpu_integer_dot = g->integer_dot;
    r.gpu_experts = g->experts;
    r.upload_seconds = g->upload_seconds;
    r.gpu_weight_bytes = g->weight_bytes;
  }
  r.cpu_features = feature_names();
  r.commit = o.commit;

  const int64_t max_depth = *std::max_element(o.depths.begin(), o.depths.end());
  const int64_t n_ctx = std::max<int64_t>(1, max_depth + std::max(o.n_prompt, o.n_gen));
  if (n_ctx > hp.n_ctx_train)
    say("note: depth + test tokens = " + std::to_string(n_ctx) + " exceeds the trained context " +
        std::to_string(hp.n_ctx_train));
  model::KvCache cache(hp, n_ctx, o.kv_types);
  r.kv_bytes = model::KvCache::bytes(hp, n_ctx, o.kv_types);
  std::vector<float> logits;

  // Times o.reps runs of `body`, each from the test's depth; n tokens per run.
  auto time_reps = [&](BenchTest& t, int64_t n, const std::function<void()>& body) {
    for (int rep = 0; rep < o.reps; ++rep) {
      cache.truncate(t.n_depth);
      const auto t0 = Clock::now();
      body();
      const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
      t.seconds.push_back(sec);
      t.tps.push_back(static_cast<double>(n) / sec);
      say(t.name + " rep " + std::to_string(rep + 1) + ": " + std::to_string(t.tps.back()) + " t/s");
    }
    finish(t);
  };

  for (const int64_t depth : o.depths) {
    const std::string suffix = depth > 0 ? " @ d" + std::to_string(depth) : "";
    // The depth is filled once, in prompt-sized chunks (bounded activations), untimed.
    cache.clear();
    if (depth > 0) {
      say("filling the cache to depth " + std::to_string(depth));
      const auto fill = bench_tokens(depth, hp.n_vocab, 2);
      for (int64_t i = 0; i < depth; i += 512) {
        const int64_t n = std::min<int64_t>(512, depth - i);
        m->forward(cache, std::span<const int32_t>(fill.data() + i, static_cast<size_t>(n)), false, logits, &pool);
      }
    }
    if (o.n_prompt > 0) {
      BenchTest t;
      t.name = "pp" + std::to_string(o.n_prompt) + suffix;
      t.n_prompt = o.n_prompt;
      t.n_depth = depth;
      const auto toks = bench_tokens(o.n_prompt, hp.n_vocab, 0);
      cache.truncate(depth);
      m->forward(cache, toks, false, logits, &pool);  // warm-up: page in weights, size buffers
      time_reps(t, o.n_prompt, [&] { m->forward(cache, toks, false, logits, &pool); });
      r.tests.push_back(std::move(t));
    }
    if (o.n_gen > 0) {
      BenchTest t;
      t.name = "tg" + std::to_string(o.n_gen) + suffix;
      t.n_gen = o.n_gen;
      t.n_depth = depth;
      const auto toks = bench_tokens(o.n_gen, hp.n_vocab, 1);
      cache.truncate(depth);
      m->forward(cache, std::span<const int32_t>(toks.data(), 1), false, logits, &pool);  // warm-up
      time_reps(t, o.n_gen, [&] {
        for (int64_t i = 0; i < o.n_gen; ++i)
          m->forward(cache, std::span<const int32_t>(toks.data() + i, 1), false, logits, &pool);
      });
      t.weight_gbps = t.mean_tps * static_cast<double>(r.weight_bytes_per_token) / 1e9;
      r.tests.push_back(std::move(t));
      if (o.grammar && depth == 0) sampled_tests(o, *m, cache, pool, r, say);
      if ((!o.draft_model.empty() || o.lookup_ngram > 0) && depth == 0) draft_test(o, m, r, say);
    }
  }
  r.peak_rss_bytes = peak_rss();
  return r;
}

std::string bench_markdown(const BenchReport& r, bool header) {
  std::string out;
  char line[512];
  if (header) {
    std::snprintf(line, sizeof line, "| %-30s | %10s | %10s | %-10s | %7s | %13s | %20s |\n", "model", "size", "params",
                  "backend", "threads", "test", "t/s");
    out += line;
    out += "| ------------------------------ | ---------: | ---------: | ---------- | ------: | ------------: | "
           "-------------------: |\n";
  }
  char size[32], params[32];
  const double gib = static_cast<double>(r.file_bytes) / (1024.0 * 1024.0 * 1024.0);
  if (gib >= 1.0) std::snprintf(size, sizeof size, "%.2f GiB", gib);
  else std::snprintf(size, sizeof size, "%.2f MiB", static_cast<double>(r.file_bytes) / (1024.0 * 1024.0));
  if (r.n_params >= 1000000000) std::snprintf(params, sizeof params, "%.2f B", r.n_params / 1e9);
  else std::snprintf(params, sizeof params, "%.2f M", r.n_params / 1e6);
  for (const auto& t : r.tests) {
    char tps[64];
    std::snprintf(tps, sizeof tps, "%.2f ± %.2f", t.mean_tps, t.stddev_tps);
    // "±" is two bytes but one column: pad by display width.
    std::snprintf(line, sizeof line, "| %-30s | %10s | %10s | %-10s | %7d | %13s | %21s |\n", r.desc.c_str(), size,
                  params, r.backend.c_str(), r.threads, t.name.c_str(), tps);
    out += line;
  }
  return out;
}

ordered_json bench_json(const BenchReport& r) {
  ordered_json tests = ordered_json::array();
  for (const auto& t : r.tests) {
    ordered_json j = {{"test", t.name},          {"n_prompt", t.n_prompt},   {"n_gen", t.n_gen},
                      {"samples_s", t.seconds},  {"samples_ts", t.tps},      {"avg_ts", t.mean_tps},
                      {"stddev_ts", t.stddev_tps}, {"n_depth", t.n_depth}};
    if (t.n_gen > 0 && t.weight_gbps > 0) j["weight_gb_per_s"] = t.weight_gbps;
    if (t.grammar_masks > 0) j["grammar_masked_steps"] = t.grammar_masks;
    if (t.drafted > 0) {
      j["drafted"] = t.drafted;
      j["accepted"] = t.accepted;
    }
    tests.push_back(std::move(j));
  }
  return ordered_json{{"model", r.model_path},
                      {"model_desc", r.desc},
                      {"arch", r.arch},
                      {"type", r.type},
                      {"size", r.file_bytes},
                      {"params", r.n_params},
                      {"weight_bytes_per_token", r.weight_bytes_per_token},
                      {"kv_bytes", r.kv_bytes},
                      {"backend", r.backend},
                      {"gpu_device", r.gpu_device},
                      {"gpu_layers", r.gpu_layers},
                      {"gpu_integer_dot", r.gpu_integer_dot},
                      {"gpu_experts", r.gpu_experts},
                      {"upload_s", r.upload_seconds},
                      {"gpu_weight_bytes", r.gpu_weight_bytes},
                      {"threads", r.threads},
                      {"isa", r.isa},
                      {"cpu_features", r.cpu_features},
                      {"commit", r.commit},
                      {"peak_rss_bytes", r.peak_rss_bytes},
                      {"tests", tests}};
}

}  // namespace hearth::engine
