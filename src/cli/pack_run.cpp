// Starting a packed executable: `./NAME [--server|--chat] [hearth serve flags]`, `--info`,
// `--verify`, `--extract DIR`. The program finds its model in its own file (/proc/self/exe), so
// renames, copies, symlinks and PATH lookups all work.
#include "cli/pack_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/command.h"
#include "core/error.h"
#include "pack/pack.h"
#include "pack/sha256.h"

namespace hearth::cli {
namespace {

enum class Mode { automatic, server, chat };

struct PackFlags {
  Mode mode = Mode::automatic;
  bool info = false, json = false, verify = false, help = false;
  std::string extract_dir;
  std::vector<std::string> serve_args;  // everything else goes to `hearth serve`
};

void print_pack_help(const pack::Pack& p, const std::string& prog) {
  std::printf(
      "%s: %s, packed with hearth %s\n\n"
      "Usage: %s [--server | --chat] [hearth serve flags]\n"
      "       %s --info [--json] | --verify | --extract DIR | serve --help\n\n"
      "With no flags it serves the model over HTTP (OpenAI/Ollama-compatible APIs and a chat page)\n"
      "and, on a terminal, opens a chat with it too.\n"
      "  --server        only serve (prints the URL; the default when not on a terminal)\n"
      "  --chat          only chat in the terminal (the server listens on a free loopback port)\n"
      "  --info          print the manifest (model, checksums, default flags); --json for JSON\n"
      "  --verify        check the program's and the model's sha256 against the manifest\n"
      "  --extract DIR   write the embedded GGUF to DIR\n"
      "Flags of 'hearth serve' (--port, --host, --ctx-size, --parallel, --api-key, ...) override the\n"
      "embedded defaults:",
      prog.c_str(), p.manifest.name.c_str(), p.manifest.hearth_version.c_str(), prog.c_str(), prog.c_str());
  for (const auto& a : p.manifest.args) std::printf(" %s", a.c_str());
  std::printf("%s\nAny hearth command also works: %s inspect %s, %s run -m %s -p \"...\"\n",
              p.manifest.args.empty() ? " (none)" : "", prog.c_str(), prog.c_str(), prog.c_str(), prog.c_str());
}

void print_info(const pack::Pack& p, bool as_json) {
  if (as_json) {
    json j = json::parse(p.manifest_text);
    j["layout"] = {{"runtime_size", p.layout.runtime_size}, {"gguf_offset", p.layout.gguf_offset},
                   {"gguf_size", p.layout.gguf_size}, {"manifest_offset", p.layout.manifest_offset},
                   {"manifest_size", p.layout.manifest_size}, {"total_size", p.layout.total_size}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  const auto& m = p.manifest;
  std::string args;
  for (const auto& a : m.args) args += (args.empty() ? "" : " ") + a;
  std::printf("%s\n", p.path.c_str());
  std::printf("  name            %s\n", m.name.c_str());
  std::printf("  model           %s (%s, %llu bytes at offset %llu)\n", m.model_file.c_str(), m.architecture.c_str(),
              static_cast<unsigned long long>(m.gguf_size), static_cast<unsigned long long>(p.layout.gguf_offset));
  std::printf("  model sha256    %s\n", m.gguf_sha256.c_str());
  std::printf("  program         hearth %s (%s), %s, %s, %llu bytes\n", m.hearth_version.c_str(),
              m.hearth_commit.c_str(), m.runtime_target.c_str(),
              m.runtime_static ? "static" : "dynamically linked", static_cast<unsigned long long>(m.runtime_size));
  std::printf("  program sha256  %s\n", m.runtime_sha256.c_str());
  std::printf("  default flags   %s\n", args.empty() ? "(none)" : args.c_str());
  if (!m.system.empty()) {
    // The first line: a persona with memories runs to many lines.
    const std::string first = m.system.substr(0, m.system.find('\n'));
    std::printf("  system message  %s%s (%zu bytes%s)\n", first.c_str(), first.size() < m.system.size() ? " ..." : "", m.system.size(),
                m.memories ? (", " + std::to_string(m.memories) + " memories").c_str() : "");
  }
  if (m.kv.size)
    std::printf("  precomputed     %llu tokens of the system prompt, %llu bytes (%s/%s keys/values)\n",
                static_cast<unsigned long long>(m.kv.tokens), static_cast<unsigned long long>(m.kv.size), m.kv.cache_type_k.c_str(),
                m.kv.cache_type_v.c_str());
  std::printf("  created         %s\n", m.created.c_str());
}

PackFlags parse_pack_flags(const std::vector<std::string>& args) {
  PackFlags f;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--server") f.mode = Mode::server;
    else if (a == "--chat") f.mode = Mode::chat;
    else if (a == "--info") f.info = true;
    else if (a == "--json") f.json = true;
    else if (a == "--verify") f.verify = true;
    else if (a == "--help" || a == "-h") f.help = true;
    else if (a == "--extract") {
      if (i + 1 >= args.size()) fail(Errc::invalid_argument, "--extract needs a folder");
      f.extract_dir = args[++i];
    } else if (a.rfind("--extract=", 0) == 0) f.extract_dir = a.substr(10);
    else f.serve_args.push_back(a);
  }
  if (f.json && !f.info) fail(Errc::invalid_argument, "--json goes with --info");
  return f;
}

// Set for the server child of serve_and_chat, which the parent has just checked.
constexpr const char* kCheckedEnv = "HEARTH_PACK_CHECKED";

// Checks the program's and the model's sha256 once per file version; later starts trust the memo.
void check_integrity(const pack::Pack& p) {
  const char* checked = std::getenv(kCheckedEnv);
  if (checked && checked == pack::to_hex(p.layout.manifest_sha256)) return;
  if (pack::verified_before(p)) return;
  std::fprintf(stderr, "hearth: checking the pack's integrity (first start)...\n");
  pack::verify(p);
  pack::remember_verified(p);
}

// The value of the last `--name VALUE` / `--name=VALUE` in args.
std::string last_value(const std::vector<std::string>& args, const std::string& name) {
  std::string v;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 < args.size()) v = args[i + 1];
    else if (args[i].rfind(name + "=", 0) == 0) v = args[i].substr(name.size() + 1);
  }
  return v;
}

std::string api_key_of(const std::vector<std::string>& args) {
  std::string key = last_value(args, "--api-key");
  std::string file = last_value(args, "--api-key-file");
  if (key.empty() && !file.empty()) {
    std::ifstream in(file);
    std::getline(in, key);
    while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
  }
  return key;
}

// Serves from a child process (its own process group, so Ctrl-C at the chat stops a reply, not
// the server) and chats with it here until input ends; then stops the server.
int serve_and_chat(const std::string& self, const std::vector<std::string>& user_args, const pack::Pack& p,
                   bool show_url) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) fail(Errc::io, "pipe failed");
  // The child is this pack again in --server mode, so it merges defaults and flags the same way.
  std::vector<std::string> argv_s = {self, "--server"};
  argv_s.insert(argv_s.end(), user_args.begin(), user_args.end());
  const std::string checked = pack::to_hex(p.layout.manifest_sha256);
  std::vector<char*> argv_c;
  for (auto& s : argv_s) argv_c.push_back(s.data());
  argv_c.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) fail(Errc::io, "fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    // However the chat ends (SIGHUP when its terminal closes, SIGTERM, even kill -9), the server
    // gets SIGTERM and stops; a parent gone before this line is caught by the check after it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(0);
    ::setenv(kCheckedEnv, checked.c_str(), 1);
    ::dup2(out[1], STDOUT_FILENO);
    ::execv(self.c_str(), argv_c.data());
    std::fprintf(stderr, "hearth: cannot start %s: %s\n", self.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  ::close(out[1]);
  auto stop_server = [&] {
    ::kill(pid, SIGTERM);
    int st = 0;
    ::waitpid(pid, &st, 0);
    ::close(out[0]);
  };

  // The server prints "hearth: serving NAME at URL" once it has bound its port.
  std::string url, buf;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (url.empty()) {
    pollfd pfd{out[0], POLLIN, 0};
    int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  deadline - std::chrono::steady_clock::now()).count());
    if (ms <= 0 || ::poll(&pfd, 1, ms) <= 0) {
      stop_server();
      fail(Errc::io, "the server did not start within 120 s");
    }
    char tmp[4096];
    ssize_t n = ::read(out[0], tmp, sizeof tmp);
    if (n <= 0) {
      stop_server();
      fail(Errc::io, "the server stopped before it was ready (see the message above)");
    }
    buf.append(tmp, static_cast<size_t>(n));
    size_t nl;
    while (url.empty() && (nl = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      size_t at = line.rfind(" at http");
      if (at != std::string::npos) {
        url = line.substr(at + 4);
        while (!url.empty() && url.back() == '/') url.pop_back();  // paths are appended to it
      }
      if (show_url || at == std::string::npos) std::printf("%s\n", line.c_str());
    }
  }
  std::fflush(stdout);
  // Whatever else the server prints on stdout goes to our stderr, out of the chat's way.
  std::thread drain([fd = out[0]] {
    char tmp[4096];
    ssize_t n;
    while ((n = ::read(fd, tmp, sizeof tmp)) > 0) {
      ssize_t ignored = ::write(STDERR_FILENO, tmp, static_cast<size_t>(n));
      (void)ignored;
    }
  });

  int status = kExitFailure;
  try {
    std::vector<std::string> all = p.manifest.args;
    all.insert(all.end(), user_args.begin(), user_args.end());
    status = terminal_chat(url, api_key_of(all), p.manifest.system);
  } catch (const Error& e) {
    print_error(e.what());
  }
  ::kill(pid, SIGTERM);
  int st = 0;
  ::waitpid(pid, &st, 0);
  drain.join();
  ::close(out[0]);
  return status;
}

int run_pack(const std::string& self, const pack::Pack& p, const std::vector<std::string>& args) {
  PackFlags f = parse_pack_flags(args);
  const std::string prog = std::filesystem::path(self).filename().string();
  if (f.help) {
    print_pack_help(p, prog);
    return kExitOk;
  }
  if (f.info) {
    print_info(p, f.json);
    return kExitOk;
  }
  if (f.verify) {
    pack::verify(p);
    pack::remember_verified(p);
    std::printf("%s: ok (program sha256 %s, model sha256 %s)\n", p.path.c_str(), p.manifest.runtime_sha256.c_str(),
                p.manifest.gguf_sha256.c_str());
    return kExitOk;
  }
  if (!f.extract_dir.empty()) {
    std::string out = pack::extract(p, f.extract_dir);
    std::printf("%s\n", out.c_str());
    return kExitOk;
  }
  check_integrity(p);

  // Embedded defaults first, the user's flags after them (they win: see dispatch). The model is
  // called by its file's name from the manifest, whatever the pack file is called now.
  std::string model_name = std::filesystem::path(p.manifest.model_file).stem().string();
  std::vector<std::string> serve = {"-m", self};
  if (!model_name.empty()) serve.insert(serve.end(), {"--alias", model_name});
  serve.insert(serve.end(), p.manifest.args.begin(), p.manifest.args.end());
  serve.insert(serve.end(), f.serve_args.begin(), f.serve_args.end());
  const bool terminal = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
  if (f.mode == Mode::server || (f.mode == Mode::automatic && !terminal)) {
    std::vector<std::string> cmd = {"serve"};
    cmd.insert(cmd.end(), serve.begin(), serve.end());
    return dispatch(cmd, true);
  }
  std::vector<std::string> child = f.serve_args;
  if (f.mode == Mode::chat) {
    // Chat only: nobody else needs the server, so keep it private on a free loopback port.
    child.insert(child.end(), {"--host", "127.0.0.1", "--port", "0", "--no-webui"});
  }
  return serve_and_chat(self, child, p, f.mode != Mode::chat);
}

}  // namespace

std::optional<int> run_if_packed(const char* argv0, const std::vector<std::string>& args) {
  const std::string self = pack::self_path(argv0);
  if (!args.empty() && is_command(args[0])) return std::nullopt;  // `./NAME inspect ...` etc.
  std::optional<pack::Pack> p;
  try {
    p = pack::open_pack(self);
    if (!p) {
      if (auto t = pack::truncated_pack(self)) {
        print_error(*t);
        return kExitFailure;
      }
      return std::nullopt;
    }
  } catch (const Error& e) {
    if (e.code() == Errc::not_found) return std::nullopt;  // cannot find our own file: plain hearth
    print_error(e.what());
    return kExitFailure;
  }
  return run_guarded([&] { return run_pack(self, *p, args); });
}

}  // namespace hearth::cli
