// `hearth synth`: write a deterministic random-weight model of a real architecture's shape.
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "core/error.h"
#include "core/json.h"
#include "model/synth.h"

namespace hearth::cli {
namespace {

struct SynthFlags {
  std::string arch, preset = "tiny", type = "f16", out;
  uint64_t seed = 0;
  int threads = 0;
  bool json = false;
};

int run(const SynthFlags& f) {
  model::SynthOptions o;
  o.preset = model::resolve_synth_preset(f.preset, f.arch);
  auto ft = model::file_type_from_name(f.type);
  if (!ft) fail(Errc::invalid_argument, "--type '" + f.type + "' is not one of " + model::file_type_names());
  o.type = *ft;
  o.seed = f.seed;
  o.out = f.out;
  o.n_threads = f.threads;
  const auto t0 = std::chrono::steady_clock::now();
  model::SynthResult r = model::synthesize(o);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (f.json) {
    ordered_json j = {{"path", f.out},       {"preset", o.preset.name}, {"arch", o.preset.arch},
                      {"type", f.type},      {"seed", f.seed},          {"bytes", r.file_bytes},
                      {"params", r.n_params}, {"tensors", r.n_tensors}, {"tensor_types", r.tensor_types},
                      {"seconds", s}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::string mix;
    for (const auto& [name, n] : r.tensor_types) mix += " " + std::to_string(n) + "x" + name;
    std::printf("%s: %s %s (%s), %lld params, %.2f GB, tensors:%s (%.1f s)\n", f.out.c_str(),
                o.preset.name.c_str(), f.type.c_str(), o.preset.arch.c_str(), static_cast<long long>(r.n_params),
                static_cast<double>(r.file_bytes) / 1e9, mix.c_str(), s);
  }
  return kExitOk;
}

}  // namespace

Command synth_command() {
  return {"synth", "Write a deterministic random-weight model (benchmarks, tests)", [](CLI::App& app) {
    auto f = std::make_shared<SynthFlags>();
    app.add_option("--arch", f->arch, "Architecture of a tiny preset: llama, qwen2, qwen3, gemma3, phi3, qwen3moe, gpt-oss "
                   "(default: the preset's)");
    app.add_option("--preset", f->preset,
                   "Shape: tiny, llama-3.2-1b, llama-3.1-8b, qwen2.5-0.5b, qwen3-0.6b, gemma3-1b, phi4-mini, "
                   "qwen3-moe-small, gpt-oss-20b")
        ->capture_default_str();
    app.add_option("--type", f->type, "File type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_m, "
                                      "q4_k_m, q4_k_s, q5_k_m, q6_k, ...")
        ->capture_default_str();
    app.add_option("--seed", f->seed, "Random seed")->capture_default_str();
    app.add_option("-o,--output", f->out, "Output GGUF file")->required();
    app.add_option("-t,--threads", f->threads, "Threads (default: all cores)");
    app.add_flag("--json", f->json, "Print a JSON summary");
    return [f]() { return run(*f); };
  }};
}

}  // namespace hearth::cli
