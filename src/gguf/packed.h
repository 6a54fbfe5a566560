// The fixed-size record that locates the parts of a packed executable (docs/pack-format.md).
//
// A pack is: runtime program | leader | zero padding | GGUF | manifest JSON | trailer. The leader
// and the trailer are the same 96-byte record. The trailer, at the very end, is how a pack is
// found; the leader, right after the program, lets a truncated pack (trailer cut off) be told
// apart from an ordinary program.
//
// It lives with the GGUF reader because opening a pack's model is reading a GGUF at an offset:
// File::open finds the trailer, so every command that takes a model also takes a pack. Writing
// and verifying packs is hearth_pack's job (src/pack), which builds on this.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "core/error.h"

namespace hearth::gguf::packed {

constexpr char kMagic[8] = {'H', 'E', 'A', 'R', 'T', 'H', 'P', 'K'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kRecordSize = 96;
// The GGUF starts at a multiple of this, so it can be mapped straight from the file with any
// page size in use (4 KiB on x86-64, 16 or 64 KiB on some ARM64 kernels).
constexpr uint64_t kGgufAlignment = 65536;
constexpr uint64_t kLeaderAlignment = 16;
constexpr uint64_t kMaxManifestSize = 1 << 20;

struct Layout {
  uint64_t runtime_size = 0;     // bytes of the program at the start of the file
  uint64_t gguf_offset = 0;
  uint64_t gguf_size = 0;
  uint64_t manifest_offset = 0;
  uint64_t manifest_size = 0;
  uint64_t total_size = 0;       // the whole pack, trailer included
  std::array<uint8_t, 32> manifest_sha256{};

  uint64_t leader_offset() const { return (runtime_size + kLeaderAlignment - 1) / kLeaderAlignment * kLeaderAlignment; }
  uint64_t trailer_offset() const { return total_size - kRecordSize; }
};

namespace detail {
inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
}  // namespace detail

inline std::array<uint8_t, kRecordSize> encode(const Layout& l) {
  std::array<uint8_t, kRecordSize> r{};
  std::memcpy(r.data(), kMagic, 8);
  detail::put_u32(r.data() + 8, kFormatVersion);
  detail::put_u32(r.data() + 12, static_cast<uint32_t>(kRecordSize));
  detail::put_u64(r.data() + 16, l.runtime_size);
  detail::put_u64(r.data() + 24, l.gguf_offset);
  detail::put_u64(r.data() + 32, l.gguf_size);
  detail::put_u64(r.data() + 40, l.manifest_offset);
  detail::put_u64(r.data() + 48, l.manifest_size);
  detail::put_u64(r.data() + 56, l.total_size);
  std::memcpy(r.data() + 64, l.manifest_sha256.data(), 32);
  return r;
}

inline bool has_magic(const uint8_t* record) { return std::memcmp(record, kMagic, 8) == 0; }

// Decodes and checks a record; `what` names the file in errors. Returns the reason it is not
// consistent, or an empty string. The order of the parts and their bounds are all checked, so
// a damaged record never makes a reader look outside the file.
inline std::string decode(const uint8_t* r, Layout& l) {
  if (!has_magic(r)) return "no hearth pack record";
  const uint32_t version = detail::get_u32(r + 8);
  if (version != kFormatVersion)
    return "pack format version " + std::to_string(version) + " is not supported (this hearth reads version " +
           std::to_string(kFormatVersion) + ")";
  if (detail::get_u32(r + 12) != kRecordSize) return "pack record has a bad size field";
  l.runtime_size = detail::get_u64(r + 16);
  l.gguf_offset = detail::get_u64(r + 24);
  l.gguf_size = detail::get_u64(r + 32);
  l.manifest_offset = detail::get_u64(r + 40);
  l.manifest_size = detail::get_u64(r + 48);
  l.total_size = detail::get_u64(r + 56);
  std::memcpy(l.manifest_sha256.data(), r + 64, 32);
  if (l.runtime_size == 0) return "pack record names an empty program";
  if (l.gguf_offset % kGgufAlignment != 0) return "pack record's GGUF offset is not 64 KiB-aligned";
  if (l.gguf_offset < l.leader_offset() + kRecordSize) return "pack record's GGUF overlaps the program";
  if (l.gguf_size < 4 || l.gguf_size > UINT64_MAX - l.gguf_offset) return "pack record's GGUF size is invalid";
  if (l.manifest_offset != l.gguf_offset + l.gguf_size) return "pack record's manifest does not follow the GGUF";
  if (l.manifest_size == 0 || l.manifest_size > kMaxManifestSize) return "pack record's manifest size is invalid";
  if (l.total_size != l.manifest_offset + l.manifest_size + kRecordSize)
    return "pack record's total size does not add up";
  return "";
}

// Reads the trailer of `path`. nullopt when the file does not end in a pack record (an ordinary
// program or GGUF); Error(format) when it does but the record is inconsistent or the file's size
// is not the one recorded; Error(not_found|io) when the file cannot be read.
inline std::optional<Layout> read_trailer(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    fail(e == ENOENT ? Errc::not_found : Errc::io, path + ": " + std::strerror(e));
  }
  struct stat st {};
  uint8_t rec[kRecordSize];
  bool got = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= static_cast<off_t>(kRecordSize) &&
             ::pread(fd, rec, kRecordSize, st.st_size - static_cast<off_t>(kRecordSize)) ==
                 static_cast<ssize_t>(kRecordSize);
  ::close(fd);
  if (!got || !has_magic(rec)) return std::nullopt;
  Layout l;
  std::string why = decode(rec, l);
  if (!why.empty()) fail(Errc::format, path + ": damaged hearth pack: " + why);
  if (l.total_size != static_cast<uint64_t>(st.st_size))
    fail(Errc::format, path + ": damaged hearth pack: the trailer records " + std::to_string(l.total_size) +
                           " bytes but the file has " + std::to_string(st.st_size));
  return l;
}

}  // namespace hearth::gguf::packed
