// `hearth bench`: llama-bench-style speed measurement (see engine/bench.h).
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "core/version.h"
#include "cli/env_options.h"
#include "cli/generation_flags.h"
#include "core/error.h"
#include "engine/bench.h"
#include "gpu/discovery.h"

namespace hearth::cli {
namespace {

struct BenchFlags {
  engine::BenchOptions opts;
  std::string output = "md";
  bool quiet = false;
  std::string grammar_file, schema;
  KvCacheFlags kv;
  GpuFlags gpu;
  std::string backend = "cpu";
};

int run(BenchFlags f) {
  if (f.output != "md" && f.output != "json")
    fail(Errc::invalid_argument, "-o must be md or json, not '" + f.output + "'");
  f.opts.commit = hearth::git_commit();
  auto progress = [&](const std::string& line) {
    if (!f.quiet) std::fprintf(stderr, "%s\n", line.c_str());
  };
  f.opts.load = load_options_from_env();
  if (f.backend != "cpu" && f.backend != "vulkan")
    fail(Errc::invalid_argument, "--backend must be cpu or vulkan, not '" + f.backend + "'");
  // --backend vulkan is every layer on the GPU unless -ngl says how many.
  if (f.backend == "vulkan" && f.gpu.layers.empty()) f.gpu.layers = "all";
  if (f.backend == "cpu" && !f.gpu.layers.empty() && f.gpu.layers != "0")
    fail(Errc::invalid_argument, "--backend cpu with --gpu-layers " + f.gpu.layers + ": give --backend vulkan");
  apply_gpu_flags(f.gpu, f.opts.load);
  if (f.backend == "vulkan") {
    // A benchmark must not quietly measure the CPU: no device is an error here, not a fallback.
    const gpu::Discovery d = gpu::discover(f.opts.load.gpu_loader);
    if (!d.available) fail(Errc::not_found, "--backend vulkan: " + d.message);
  }
  f.opts.kv_types = kv_types(f.kv);
  if (!f.grammar_file.empty() || !f.schema.empty()) {
    GenerationFlags gf;
    gf.grammar_file = f.grammar_file;
    gf.json_schema = f.schema == "json" ? "{\"type\":\"object\"}" : f.schema;
    f.opts.grammar = grammar_from_flags(gf);
  }
  engine::BenchReport r = engine::run_bench(f.opts, progress);
  if (f.output == "json") {
    std::printf("%s\n", engine::bench_json(r).dump(2).c_str());
  } else {
    std::printf("%s", engine::bench_markdown(r).c_str());
    for (const auto& t : r.tests)
      if (t.drafted > 0)
        std::printf("\n%s: %lld of %lld drafted tokens accepted (%.0f%%)\n", t.name.c_str(),
                    static_cast<long long>(t.accepted), static_cast<long long>(t.drafted), 100.0 * t.accepted / t.drafted);
    for (const auto& t : r.tests)
      if (t.n_gen > 0 && t.weight_gbps > 0)
        std::printf("\n%s: %.2f GB of weights per token, %.1f GB/s streamed\n", t.name.c_str(),
                    static_cast<double>(r.weight_bytes_per_token) / 1e9, t.weight_gbps);
    if (r.backend != "CPU")
      std::printf("%s: %lld layers on %s, %.1f MiB of weights uploaded in %.2f s%s%s\n", r.backend.c_str(),
                  static_cast<long long>(r.gpu_layers), r.gpu_device.c_str(),
                  static_cast<double>(r.gpu_weight_bytes) / (1 << 20), r.upload_seconds,
                  r.gpu_integer_dot ? "; integer dot product" : "", r.gpu_experts ? "; experts on the device" : "");
    std::printf("peak RSS %.2f GB (file %.2f GB + KV %.3f GB); isa %s; commit %s\n", r.peak_rss_bytes / 1e9,
                r.file_bytes / 1e9, r.kv_bytes / 1e9, r.isa.c_str(), r.commit.c_str());
  }
  return kExitOk;
}

}  // namespace

Command bench_command() {
  return {"bench", "Measure prompt (pp) and generation (tg) speed, llama-bench style", [](CLI::App& app) {
    auto f = std::make_shared<BenchFlags>();
    app.add_option("-m,--model", f->opts.model_path, "GGUF model file")->required();
    app.add_option("-p,--n-prompt", f->opts.n_prompt, "Prompt tokens for the pp test (0: skip)")->capture_default_str();
    app.add_option("-n,--n-gen", f->opts.n_gen, "Generated tokens for the tg test (0: skip)")->capture_default_str();
    app.add_option("-d,--n-depth", f->opts.depths,
                   "Tokens already in the cache for every test, comma-separated (llama-bench's -d; default 0)")
        ->delimiter(',')
        ->check(CLI::Range(0, 1 << 20));
    app.add_option("-t,--threads", f->opts.n_threads, "Threads (default: all cores)");
    app.add_option("-r,--repetitions", f->opts.reps, "Repetitions of each test")->capture_default_str();
    // -o is llama-bench's output format here (scripts written for llama-bench pass -o json);
    // --json is the flag every other hearth command takes.
    auto* fmt =
        app.add_option("-o,--output", f->output, "Output format: md or json (llama-bench's -o)")->capture_default_str();
    app.add_flag_callback("--json", [f] { f->output = "json"; }, "Machine-readable output (same as -o json)")
        ->excludes(fmt);
    app.add_flag("-q,--quiet", f->quiet, "No per-repetition progress on stderr");
    add_kv_cache_flags(app, f->kv);
    add_gpu_flags(app, f->gpu);
    app.add_option("--backend", f->backend, "cpu, or vulkan: run the layers on a GPU (-ngl all unless -ngl is given)")
        ->capture_default_str();
    // With a drafter, tgN+draft also times greedy generation with speculative decoding.
    add_speculative_flags(app, f->opts.draft_model, f->opts.lookup_ngram, f->opts.speculative);
    auto* g = app.add_option("--grammar", f->grammar_file, "Also time generation sampled under this GBNF grammar");
    auto* j = app.add_option("--json-schema", f->schema,
                             "Also time generation sampled under this JSON schema (a file, or the schema starting with '{'; "
                             "'json' for any JSON object)");
    g->excludes(j);
    return [f]() { return run(*f); };
  }};
}

}  // namespace hearth::cli
