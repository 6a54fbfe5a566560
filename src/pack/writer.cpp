// Writing a pack: program, leader, padding, GGUF, manifest, trailer (docs/pack-format.md).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "gguf/gguf.h"
#include "pack/elf.h"
#include "pack/pack.h"
#include "pack/sha256.h"

namespace hearth::pack {
namespace {

// Closes on scope exit; the output is also removed unless committed.
struct OutputFd {
  int fd = -1;
  ~OutputFd() {
    if (fd >= 0) ::close(fd);
  }
};

int open_read(const std::string& path, const char* role) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    fail(e == ENOENT ? Errc::not_found : Errc::io, std::string(role) + " " + path + ": " + std::strerror(e));
  }
  return fd;
}

class Output {
 public:
  Output(std::string final_path) : final_(std::move(final_path)) {
    tmp_ = final_ + ".tmp-" + std::to_string(::getpid());
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0777);
    if (fd_ < 0) fail(Errc::io, final_ + ": cannot create: " + std::strerror(errno));
  }
  ~Output() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  uint64_t pos() const { return pos_; }
  void write(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) fail(Errc::io, final_ + ": write failed: " + std::strerror(errno));
      p += w;
      n -= static_cast<size_t>(w);
      pos_ += static_cast<uint64_t>(w);
    }
  }
  void zeros(uint64_t n) {
    static const uint8_t z[4096] = {};
    while (n > 0) {
      size_t k = static_cast<size_t>(std::min<uint64_t>(n, sizeof z));
      write(z, k);
      n -= k;
    }
  }
  void pwrite_at(uint64_t off, const void* data, size_t n) {
    if (::pwrite(fd_, data, n, static_cast<off_t>(off)) != static_cast<ssize_t>(n))
      fail(Errc::io, final_ + ": write failed: " + std::strerror(errno));
  }
  // Copies [off, off+len) of `in`, hashing what it copies.
  Digest copy_from(int in, uint64_t off, uint64_t len, const std::string& name) {
    std::vector<uint8_t> buf(4u << 20);
    Sha256 h;
    while (len > 0) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), len));
      ssize_t n = ::pread(in, buf.data(), want, static_cast<off_t>(off));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(Errc::io, name + ": read failed: " + std::strerror(errno));
      if (n == 0) fail(Errc::format, name + ": ends early (at byte " + std::to_string(off) + ")");
      h.update(buf.data(), static_cast<size_t>(n));
      write(buf.data(), static_cast<size_t>(n));
      off += static_cast<uint64_t>(n);
      len -= static_cast<uint64_t>(n);
    }
    return h.finish();
  }
  void commit() {
    if (::fsync(fd_) != 0) fail(Errc::io, final_ + ": fsync failed: " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_.c_str(), final_.c_str()) != 0)
      fail(Errc::io, final_ + ": cannot rename into place: " + std::strerror(errno));
    committed_ = true;
  }

 private:
  std::string final_, tmp_;
  int fd_ = -1;
  uint64_t pos_ = 0;
  bool committed_ = false;
};

std::string utc_now() { return utc_now_text(); }

uint64_t file_size(int fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(Errc::io, name + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(Errc::invalid_argument, name + ": not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

WriteResult write_pack(const WriteOptions& o) {
  if (o.output.empty()) fail(Errc::invalid_argument, "no output file given");
  if (std::filesystem::is_directory(o.output))
    fail(Errc::invalid_argument, o.output + ": is a directory; give the file name to write");

  // The model: a GGUF, or the GGUF inside another pack. Parsing it here catches a wrong file
  // before anything is written.
  const gguf::File model = gguf::File::open(o.model);
  uint64_t model_off = 0, model_len = 0;
  OutputFd min{open_read(o.model, "model")};
  if (auto l = read_trailer(o.model)) {
    model_off = l->gguf_offset;
    model_len = l->gguf_size;
  } else {
    model_len = file_size(min.fd, o.model);
  }

  // The program: an ELF; when it is itself a pack, only its program part.
  const ElfInfo elf = read_elf(o.runtime);
  if (!elf.is_elf) fail(Errc::invalid_argument, "runtime " + o.runtime + ": not an ELF program");
  OutputFd rin{open_read(o.runtime, "runtime")};
  uint64_t runtime_len = file_size(rin.fd, o.runtime);
  if (auto l = read_trailer(o.runtime)) runtime_len = l->runtime_size;

  Manifest m;
  m.name = !o.name.empty() ? o.name : model.get_string("general.name", "");
  std::string base = std::filesystem::path(o.model).filename().string();
  if (read_trailer(o.model)) {
    // Repacking a pack keeps its original model file name.
    if (auto inner = open_pack(o.model)) base = inner->manifest.model_file;
  }
  if (m.name.empty()) m.name = base;
  m.model_file = base;
  m.architecture = model.architecture();
  m.gguf_size = model_len;
  m.runtime_size = runtime_len;
  m.runtime_static = elf.is_static;
  m.runtime_target = machine_name(elf.machine) + "-linux";
  m.hearth_version = o.hearth_version;
  m.hearth_commit = o.hearth_commit;
  m.args = o.args;
  m.system = o.system;
  m.memories = o.memories;
  m.created = utc_now();

  Layout l;
  l.runtime_size = runtime_len;
  Output out(o.output);
  m.runtime_sha256 = to_hex(out.copy_from(rin.fd, 0, runtime_len, o.runtime));
  out.zeros(l.leader_offset() - out.pos());
  out.zeros(kRecordSize);  // the leader, written once the manifest is known
  if (!o.kv.empty()) {
    // In the padding before the model, which readers that know nothing of it skip.
    m.kv.offset = out.pos();
    m.kv.size = o.kv.size();
    m.kv.sha256 = to_hex(sha256_of(o.kv.data(), o.kv.size()));
    m.kv.tokens = o.kv_tokens;
    m.kv.cache_type_k = o.kv_cache_type_k;
    m.kv.cache_type_v = o.kv_cache_type_v;
    out.write(o.kv.data(), o.kv.size());
  }
  l.gguf_offset = align_up(out.pos(), kGgufAlignment);
  out.zeros(l.gguf_offset - out.pos());
  m.gguf_sha256 = to_hex(out.copy_from(min.fd, model_off, model_len, o.model));
  if (!o.kv.empty()) m.kv.model_sha256 = m.gguf_sha256;
  l.gguf_size = model_len;

  const std::string text = m.to_json().dump(2) + "\n";
  l.manifest_offset = out.pos();
  l.manifest_size = text.size();
  l.manifest_sha256 = sha256_of(text.data(), text.size());
  out.write(text.data(), text.size());
  l.total_size = out.pos() + kRecordSize;
  const auto rec = encode(l);
  out.write(rec.data(), rec.size());
  out.pwrite_at(l.leader_offset(), rec.data(), rec.size());
  out.commit();
  return {l, m};
}

}  // namespace hearth::pack
