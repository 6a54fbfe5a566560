// `hearth quantize IN OUT TYPE`: convert an F32/F16/BF16 GGUF to a file type with llama.cpp's
// per-tensor mix.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "cli/command.h"
#include "core/error.h"
#include "core/json.h"
#include "model/quant_mix_file.h"

namespace hearth::cli {
namespace {

struct QuantizeFlags {
  std::string in, out, type;
  int threads = 0;
  bool json = false;
};

int run(const QuantizeFlags& f) {
  model::QuantizeOptions o;
  o.in = f.in;
  o.out = f.out;
  auto ft = model::file_type_from_name(f.type);
  if (!ft) fail(Errc::invalid_argument, "TYPE '" + f.type + "' is not one of " + model::file_type_names());
  o.type = *ft;
  o.n_threads = f.threads;
  const auto t0 = std::chrono::steady_clock::now();
  model::QuantizeReport r = model::quantize_file(o);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::map<std::string, int64_t> counts;
  for (const auto& t : r.tensors) ++counts[std::string(tensor::type_name(t.to))];
  if (f.json) {
    ordered_json tensors = ordered_json::array();
    for (const auto& t : r.tensors)
      tensors.push_back({{"name", t.name},
                         {"from", tensor::type_name(t.from)},
                         {"to", tensor::type_name(t.to)},
                         {"n_elements", t.n_elements},
                         {"rmse", t.rmse}});
    ordered_json j = {{"input", f.in},         {"output", f.out},   {"type", model::file_type_info(o.type).name},
                      {"in_bytes", r.in_bytes}, {"out_bytes", r.out_bytes}, {"rmse", r.rmse},
                      {"tensor_types", counts}, {"seconds", s},     {"tensors", tensors}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::string mix;
    for (const auto& [name, n] : counts) mix += " " + std::to_string(n) + "x" + name;
    std::printf("%s -> %s (%s): %.2f MB -> %.2f MB, tensors:%s, weight RMSE %.6g (%.1f s)\n", f.in.c_str(),
                f.out.c_str(), std::string(model::file_type_info(o.type).name).c_str(), r.in_bytes / 1e6,
                r.out_bytes / 1e6, mix.c_str(), r.rmse, s);
  }
  return kExitOk;
}

}  // namespace

Command quantize_command() {
  return {"quantize", "Convert an F32/F16/BF16 GGUF model to another type (llama.cpp's mixes)", [](CLI::App& app) {
    auto f = std::make_shared<QuantizeFlags>();
    app.add_option("IN", f->in, "Input GGUF (F32, F16 or BF16 weights)")->required();
    app.add_option("OUT", f->out, "Output GGUF")->required();
    app.add_option("TYPE", f->type, "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_s, q3_k_m, q3_k_l, "
                                    "q4_k_s, q4_k_m, q5_k_s, q5_k_m, q6_k")
        ->required();
    app.add_option("-t,--threads", f->threads, "Threads (default: all cores)");
    app.add_flag("--json", f->json, "Print a JSON report (per-tensor types and RMSE)");
    return [f]() { return run(*f); };
  }};
}

}  // namespace hearth::cli
