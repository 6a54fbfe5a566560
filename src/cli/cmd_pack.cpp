// `hearth pack`: one executable file holding the hearth program, a model and its default flags.
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/command.h"
#include "cli/gpu_flags.h"
#include "core/version.h"
#include "cli/pack_persona.h"
#include "cli/pack_run.h"
#include "core/error.h"
#include "hub/model_store.h"
#include "pack/elf.h"
#include "pack/pack.h"

namespace hearth::cli {
namespace {

struct PackOpts {
  std::string model, output, name, args, system, system_file, memory, runtime, info, verify;
  bool json = false, no_precompute = false;
};

// Checks the default flags the way `hearth serve` will parse them, so a typo fails now rather
// than on the user's machine.
void check_serve_flags(const std::vector<std::string>& args) {
  for (const auto& cmd : commands()) {
    if (cmd.name != "serve") continue;
    CLI::App app{cmd.summary, "serve"};
    cmd.setup(app);
    std::vector<std::string> rev(args.rbegin(), args.rend());
    rewrite_ngl(rev);
    rev.push_back("x.gguf");
    rev.push_back("-m");
    try {
      app.parse(rev);
    } catch (const CLI::ParseError& e) {
      fail(Errc::invalid_argument, std::string("--args: ") + e.what());
    }
  }
  for (const auto& a : args)
    if (a == "-m" || a == "--model" || a.rfind("--model=", 0) == 0)
      fail(Errc::invalid_argument, "--args: the model is the packed one; leave -m/--model out");
}

// Asks another hearth program for its version (`FILE version --json`), which also shows that
// it is one.
std::pair<std::string, std::string> runtime_version(const std::string& path) {
  std::string cmd = "'";
  for (char c : path) cmd += c == '\'' ? std::string("'\\''") : std::string(1, c);
  cmd += "' version --json 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) fail(Errc::io, "cannot run " + path);
  std::string out;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0 && out.size() < 65536) out.append(buf, n);
  int st = ::pclose(p);
  json j = json::parse(out, nullptr, false);
  if (st != 0 || !j.is_object() || !j.contains("version") || !j["version"].is_string())
    fail(Errc::invalid_argument, "--runtime " + path + ": not a hearth program for this machine ('" + path +
                                     " version --json' failed)");
  return {j["version"].get<std::string>(), j.value("commit", std::string("unknown"))};
}

int create(const PackOpts& o) {
  if (o.model.empty() || o.output.empty())
    fail(Errc::invalid_argument, "give -m MODEL and -o OUTPUT (or --info/--verify FILE)");
  pack::WriteOptions w;
  w.model = hub::resolve_model_path(o.model);
  w.output = o.output;
  w.name = o.name;
  w.args = pack::split_args(o.args);
  check_serve_flags(w.args);
  if (!o.system.empty() && !o.system_file.empty()) fail(Errc::invalid_argument, "give --system or --system-file, not both");
  std::string system = o.system;
  if (!o.system_file.empty()) {
    std::ifstream in(o.system_file, std::ios::binary);
    if (!in) fail(Errc::not_found, "--system-file: cannot read " + o.system_file);
    system.assign(std::istreambuf_iterator<char>(in), {});
    while (!system.empty() && (system.back() == '\n' || system.back() == '\r')) system.pop_back();
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Persona persona = build_persona(w.model, system, o.memory, w.args, !o.no_precompute);
  w.system = persona.system;
  w.memories = persona.memories;
  w.kv = persona.kv;
  w.kv_tokens = persona.kv_tokens;
  w.kv_cache_type_k = persona.cache_type_k;
  w.kv_cache_type_v = persona.cache_type_v;
  if (!w.kv.empty())
    std::fprintf(stderr, "hearth pack: system prompt (%llu tokens%s) precomputed in %.1f s: %zu bytes of keys and values\n",
                 static_cast<unsigned long long>(w.kv_tokens),
                 persona.memories ? (", " + std::to_string(persona.memories) + " memories").c_str() : "",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), w.kv.size());
  // The default program is the fully static build beside this one, so the file runs on any
  // x86-64 Linux; without it, this (dynamically linked) hearth, with a note below.
  const std::filesystem::path static_runtime = std::filesystem::path(pack::self_path("hearth")).parent_path() / "hearth-static";
  if (o.runtime.empty() && std::filesystem::exists(static_runtime)) {
    w.runtime = static_runtime.string();
    std::tie(w.hearth_version, w.hearth_commit) = runtime_version(w.runtime);
  } else if (o.runtime.empty()) {
    w.runtime = pack::self_path("hearth");
    w.hearth_version = hearth::version();
    w.hearth_commit = hearth::git_commit();
  } else {
    w.runtime = o.runtime;
    std::tie(w.hearth_version, w.hearth_commit) = runtime_version(o.runtime);
  }
  const pack::ElfInfo elf = pack::read_elf(w.runtime);
  const pack::WriteResult r = pack::write_pack(w);
  std::printf("%s: %s (%s) packed with hearth %s, %llu bytes\n", o.output.c_str(), r.manifest.name.c_str(),
              r.manifest.model_file.c_str(), r.manifest.hearth_version.c_str(),
              static_cast<unsigned long long>(r.layout.total_size));
  if (elf.is_elf && !elf.is_static)
    std::fprintf(stderr,
                 "hearth pack: note: the program inside (%s) is dynamically linked, so the pack needs hearth's "
                 "shared libraries where it runs; pack with --runtime hearth-static for a file that runs on "
                 "any x86-64 Linux\n",
                 w.runtime.c_str());
  return kExitOk;
}

}  // namespace

Command pack_command() {
  return {"pack", "Pack a model and hearth into one executable file", [](CLI::App& app) {
    auto o = std::make_shared<PackOpts>();
    app.add_option("-m,--model", o->model, "GGUF file, stored model name, or another pack");
    app.add_option("-o,--output", o->output, "Executable file to write");
    app.add_option("--name", o->name, "Display name (default: the model's general.name)");
    app.add_option("--args", o->args, "Default 'hearth serve' flags, e.g. \"--ctx-size 2048 --parallel 2\"");
    app.add_option("--system", o->system, "System message (the pack's persona) for chats that bring none");
    app.add_option("--system-file", o->system_file, "Read the system message from this file");
    app.add_option("--memory", o->memory, "A hearth memory bundle (hearth memory export) whose memories go into the system message");
    app.add_flag("--no-precompute", o->no_precompute,
                 "Do not store the system prompt's keys and values (smaller file; the first reply prefills it)");
    app.add_option("--runtime", o->runtime,
                   "hearth program to embed (default: hearth-static beside this hearth, which runs on any x86-64 "
                   "Linux; else this one)");
    app.add_option("--info", o->info, "Print the manifest of the pack FILE instead");
    app.add_option("--verify", o->verify, "Check the pack FILE's sha256 sums instead");
    app.add_flag("--json", o->json, "With --info: JSON");
    app.footer(
        "Run the result with no arguments to serve the model and chat with it; NAME --help lists its options.\n"
        "The pack format is documented in docs/pack-format.md.");
    return [o]() {
      if (!o->info.empty()) {
        pack::Pack p = pack::require_pack(o->info);
        std::printf("%s\n", o->json ? json::parse(p.manifest_text).dump(2).c_str() : p.manifest_text.c_str());
        return kExitOk;
      }
      if (!o->verify.empty()) {
        pack::Pack p = pack::require_pack(o->verify);
        pack::verify(p);
        std::printf("%s: ok (program sha256 %s, model sha256 %s)\n", p.path.c_str(), p.manifest.runtime_sha256.c_str(),
                    p.manifest.gguf_sha256.c_str());
        return kExitOk;
      }
      return create(*o);
    };
  }};
}

}  // namespace hearth::cli
