// `hearth inspect FILE`: what is inside a GGUF model or vocabulary file.
#include <cstdio>
#include <set>
#include <string>

#include "cli/command.h"
#include "core/json.h"
#include "gguf/gguf.h"
#include "gguf/summary.h"

namespace hearth::cli {
namespace {

constexpr size_t kShortArray = 8;   // arrays up to this length are printed in full
constexpr size_t kMaxString = 72;   // longer strings are cut

std::string with_commas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string dims_text(const ordered_json& dims) {
  std::string out;
  for (const auto& d : dims) {
    if (!out.empty()) out += " x ";
    out += std::to_string(d.get<int64_t>());
  }
  return out;
}

std::string json_text(const ordered_json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

void print_text(const gguf::File& f, const ordered_json& s, bool show_tensors) {
  std::printf("%s: GGUF v%u, %zu tensors, %zu metadata keys, %s bytes\n", f.name().c_str(), f.version(),
              f.tensors().size(), f.metadata().size(), with_commas(f.file_size()).c_str());
  std::printf("  architecture   %s\n", s["architecture"].get<std::string>().c_str());
  std::printf("  name           %s\n", s["name"].get<std::string>().c_str());

  const std::string arch = f.architecture();
  std::set<std::string> shown = {"general.architecture", "general.name", "tokenizer.ggml.model",
                                 "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.chat_template"};
  if (!arch.empty()) {
    std::printf("\nHyper-parameters (%s.*)\n", arch.c_str());
    bool any = false;
    for (const auto& [k, v] : f.metadata()) {
      if (k.rfind(arch + ".", 0) != 0) continue;
      std::printf("  %-36s %s\n", k.substr(arch.size() + 1).c_str(),
                  gguf::value_to_text(v, kShortArray, kMaxString).c_str());
      shown.insert(k);
      any = true;
    }
    if (!any) std::printf("  (none)\n");
  }

  const auto& tok = s["tokenizer"];
  if (f.has("tokenizer.ggml.model") || f.has("tokenizer.ggml.tokens")) {
    std::printf("\nTokenizer\n");
    if (tok.contains("model")) std::printf("  %-36s %s\n", "model", json_text(tok["model"]).c_str());
    if (tok.contains("pre")) std::printf("  %-36s %s\n", "pre", json_text(tok["pre"]).c_str());
    if (tok.contains("vocab_size"))
      std::printf("  %-36s %s\n", "vocab size", with_commas(tok["vocab_size"].get<uint64_t>()).c_str());
    if (tok.contains("merges"))
      std::printf("  %-36s %s\n", "merges", with_commas(tok["merges"].get<uint64_t>()).c_str());
    for (const auto& [k, v] : f.metadata()) {
      const std::string pre = "tokenizer.ggml.";
      if (k.rfind(pre, 0) != 0 || !tok.contains(k.substr(pre.size())) || k.find("_token_id") == std::string::npos)
        continue;
      std::printf("  %-36s %s\n", k.substr(pre.size()).c_str(), gguf::value_to_text(v, 0, kMaxString).c_str());
      shown.insert(k);
    }
    if (tok["chat_template"].get<bool>())
      std::printf("  %-36s present (%s bytes)\n", "chat template",
                  with_commas(tok["chat_template_length"].get<uint64_t>()).c_str());
    else
      std::printf("  %-36s none\n", "chat template");
  }

  bool header = false;
  for (const auto& [k, v] : f.metadata()) {
    if (shown.count(k)) continue;
    if (!header) std::printf("\nOther metadata\n");
    header = true;
    std::printf("  %-36s %s\n", k.c_str(), gguf::value_to_text(v, kShortArray, kMaxString).c_str());
  }

  if (show_tensors && !f.tensors().empty()) {
    size_t w = 4;
    for (const auto& t : f.tensors()) w = std::max(w, t.name.size());
    std::printf("\nTensors\n  %-*s  %-5s  %-22s %14s %14s\n", static_cast<int>(w), "name", "type", "dims",
                "bytes", "offset");
    for (const auto& t : s["tensors"])
      std::printf("  %-*s  %-5s  %-22s %14s %14s\n", static_cast<int>(w), t["name"].get<std::string>().c_str(),
                  t["type"].get<std::string>().c_str(), dims_text(t["dims"]).c_str(),
                  t["bytes"].is_null() ? "?" : with_commas(t["bytes"].get<uint64_t>()).c_str(),
                  with_commas(t["offset"].get<uint64_t>()).c_str());
  }

  const auto& tot = s["totals"];
  std::printf("\nTotals\n  %-36s %s\n  %-36s %s\n  %-36s %s (%s bytes)\n", "tensors",
              with_commas(tot["tensors"].get<uint64_t>()).c_str(), "parameters",
              with_commas(tot["parameters"].get<uint64_t>()).c_str(), "tensor data",
              tot["size"].get<std::string>().c_str(), with_commas(tot["bytes"].get<uint64_t>()).c_str());
  for (const auto& [type, pt] : tot["by_type"].items())
    std::printf("  %-36s %s tensors, %s parameters, %s bytes\n", type.c_str(),
                with_commas(pt["tensors"].get<uint64_t>()).c_str(),
                with_commas(pt["parameters"].get<uint64_t>()).c_str(),
                with_commas(pt["bytes"].get<uint64_t>()).c_str());
}

}  // namespace

Command inspect_command() {
  return {"inspect", "Show a GGUF file's metadata, tokenizer and tensors", [](CLI::App& app) {
    struct Opts {
      std::string path;
      bool json = false;
      bool no_tensors = false;
    };
    auto o = std::make_shared<Opts>();
    app.add_option("file", o->path, "GGUF model or vocabulary file")->required();
    app.add_flag("--json", o->json, "Print one JSON object instead of text");
    app.add_flag("--no-tensors", o->no_tensors, "Leave out the per-tensor table");
    return [o]() {
      // A tensor type from a newer llama.cpp is listed by its id, not a reason to show nothing.
      gguf::ParseOptions po;
      po.allow_unknown_types = true;
      const gguf::File f = gguf::File::open(o->path, po);
      gguf::SummaryOptions opt;
      opt.tensors = !o->no_tensors;
      const ordered_json s = gguf::summarize(f, opt);
      if (o->json) std::printf("%s\n", s.dump(2).c_str());
      else print_text(f, s, !o->no_tensors);
      if (s["totals"].contains("unknown_type_ids"))
        std::fprintf(stderr, "hearth inspect: tensor type ids %s are unknown to hearth: this file cannot be run\n",
                     s["totals"]["unknown_type_ids"].dump().c_str());
      return kExitOk;
    };
  }};
}

}  // namespace hearth::cli
