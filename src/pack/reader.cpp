// Reading, checking and unpacking packs.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.h"
#include "pack/elf.h"
#include "pack/pack.h"
#include "pack/sha256.h"

namespace hearth::pack {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(const std::string& path) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      fail(e == ENOENT ? Errc::not_found : Errc::io, path + ": " + std::strerror(e));
    }
  }
  ~Fd() { ::close(fd); }
};

void read_exact(int fd, void* buf, size_t n, uint64_t off, const std::string& name) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, static_cast<char*>(buf) + got, n - got, static_cast<off_t>(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(Errc::io, name + ": read failed: " + std::strerror(errno));
    if (r == 0) fail(Errc::format, name + ": ends early");
    got += static_cast<size_t>(r);
  }
}

}  // namespace

std::optional<Pack> open_pack(const std::string& path) {
  std::optional<Layout> l = read_trailer(path);
  if (!l) return std::nullopt;
  Pack p;
  p.path = path;
  p.layout = *l;
  Fd f(path);
  p.manifest_text.resize(static_cast<size_t>(l->manifest_size));
  read_exact(f.fd, p.manifest_text.data(), p.manifest_text.size(), l->manifest_offset, path);
  if (sha256_of(p.manifest_text.data(), p.manifest_text.size()) != l->manifest_sha256)
    fail(Errc::format, path + ": damaged hearth pack: the manifest does not match its checksum in the trailer");
  json j = json::parse(p.manifest_text, nullptr, false);
  if (j.is_discarded()) fail(Errc::format, path + ": damaged hearth pack: the manifest is not valid JSON");
  try {
    p.manifest = Manifest::from_json(j);
  } catch (const Error& e) {
    fail(Errc::format, path + ": " + e.what());
  }
  if (p.manifest.gguf_size != l->gguf_size || p.manifest.runtime_size != l->runtime_size)
    fail(Errc::format, path + ": damaged hearth pack: the manifest's sizes disagree with the trailer");
  return p;
}

std::optional<std::string> truncated_pack(const std::string& path) {
  const ElfInfo elf = read_elf(path);
  if (!elf.is_elf) return std::nullopt;
  Fd f(path);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return std::nullopt;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  Layout l;
  l.runtime_size = elf.extent;
  if (size < l.leader_offset() + kRecordSize) return std::nullopt;
  uint8_t rec[kRecordSize];
  read_exact(f.fd, rec, kRecordSize, l.leader_offset(), path);
  Layout want;
  if (!has_magic(rec) || !decode(rec, want).empty()) return std::nullopt;
  if (size > want.total_size)
    return path + ": hearth pack with " + std::to_string(size - want.total_size) +
           " bytes appended after its end (it was written with " + std::to_string(want.total_size) +
           "); remove them (truncate -s " + std::to_string(want.total_size) + ") or copy it again";
  return path + ": truncated hearth pack: it has " + std::to_string(size) + " bytes of the " +
         std::to_string(want.total_size) + " it was written with (copy or download it again)";
}

std::string explain_not_a_pack(const std::string& path) {
  Fd f(path);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail(Errc::io, path + ": " + std::strerror(errno));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint8_t head[4] = {};
  if (size >= 4) read_exact(f.fd, head, 4, 0, path);
  if (std::memcmp(head, "GGUF", 4) == 0) return path + ": is a GGUF model, not a hearth pack";
  const ElfInfo elf = read_elf(path);
  if (!elf.is_elf) return path + ": not a hearth pack (neither a program nor a GGUF)";
  if (auto t = truncated_pack(path)) return *t;
  if (size > elf.extent) return path + ": a program with " + std::to_string(size - elf.extent) +
                                " unknown bytes appended, not a hearth pack";
  return path + ": a program without an embedded model, not a hearth pack";
}

Pack require_pack(const std::string& path) {
  if (auto p = open_pack(path)) return *p;
  fail(Errc::format, explain_not_a_pack(path));
}

std::string read_kv(const Pack& p) {
  const auto& kv = p.manifest.kv;
  if (kv.size == 0) return {};
  const std::string where = p.path + ": precomputed KV part: ";
  if (kv.offset < p.layout.leader_offset() + kRecordSize || kv.offset > p.layout.gguf_offset ||
      kv.size > p.layout.gguf_offset - kv.offset)
    fail(Errc::format, where + "lies outside the space between the program and the model");
  if (kv.model_sha256 != p.manifest.gguf_sha256)
    fail(Errc::format, where + "was computed for another model (sha256 " + kv.model_sha256 + ")");
  std::string bytes(kv.size, '\0');
  Fd f(p.path);
  read_exact(f.fd, bytes.data(), bytes.size(), kv.offset, p.path);
  if (to_hex(sha256_of(bytes.data(), bytes.size())) != kv.sha256)
    fail(Errc::format, where + "damaged or tampered (its sha256 differs from the manifest's)");
  return bytes;
}

void verify(const Pack& p) {
  Fd f(p.path);
  const Digest rt = sha256_file_range(f.fd, 0, p.layout.runtime_size, p.path);
  if (to_hex(rt) != p.manifest.runtime_sha256)
    fail(Errc::format, p.path + ": damaged or tampered hearth pack: the program's sha256 is " + to_hex(rt) +
                           " but the manifest says " + p.manifest.runtime_sha256);
  const Digest g = sha256_file_range(f.fd, p.layout.gguf_offset, p.layout.gguf_size, p.path);
  if (to_hex(g) != p.manifest.gguf_sha256)
    fail(Errc::format, p.path + ": damaged or tampered hearth pack: the model's sha256 is " + to_hex(g) +
                           " but the manifest says " + p.manifest.gguf_sha256);
  read_kv(p);
}

std::string extract(const Pack& p, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) fail(Errc::io, dir + ": cannot create the directory");
  // Only the file name: a manifest must not be able to write outside `dir`.
  std::string name = fs::path(p.manifest.model_file).filename().string();
  if (name.empty() || name == "." || name == "..") name = "model.gguf";
  const std::string out_path = (fs::path(dir) / name).string();
  if (fs::exists(out_path)) fail(Errc::invalid_argument, out_path + ": already exists; remove it or pick another folder");
  const std::string tmp = out_path + ".tmp-" + std::to_string(::getpid());
  Fd in(p.path);
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) fail(Errc::io, tmp + ": cannot create: " + std::strerror(errno));
  try {
    std::vector<uint8_t> buf(4u << 20);
    Sha256 h;
    uint64_t off = p.layout.gguf_offset, left = p.layout.gguf_size;
    while (left > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), left));
      read_exact(in.fd, buf.data(), n, off, p.path);
      h.update(buf.data(), n);
      for (size_t w = 0; w < n;) {
        ssize_t r = ::write(out, buf.data() + w, n - w);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail(Errc::io, tmp + ": write failed: " + std::strerror(errno));
        w += static_cast<size_t>(r);
      }
      off += n;
      left -= n;
    }
    const std::string got = to_hex(h.finish());
    if (got != p.manifest.gguf_sha256)
      fail(Errc::format, p.path + ": damaged or tampered hearth pack: the model's sha256 is " + got +
                             " but the manifest says " + p.manifest.gguf_sha256);
    if (::close(out) != 0) {
      out = -1;
      fail(Errc::io, tmp + ": close failed: " + std::strerror(errno));
    }
    out = -1;
    if (::rename(tmp.c_str(), out_path.c_str()) != 0) fail(Errc::io, out_path + ": " + std::strerror(errno));
  } catch (...) {
    if (out >= 0) ::close(out);
    ::unlink(tmp.c_str());
    throw;
  }
  return out_path;
}

std::string self_path(const char* argv0) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && !exe.empty()) return exe.string();
  // No /proc (a bare chroot): argv[0] as given, or found through PATH like the shell did.
  std::string a = argv0 ? argv0 : "";
  if (a.find('/') != std::string::npos) return a;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string d = dirs.substr(start, end - start);
    std::string cand = (d.empty() ? std::string(".") : d) + "/" + a;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    start = end + 1;
  }
  return a;
}

}  // namespace hearth::pack
