#include "pack/elf.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace hearth::pack {
namespace {

uint16_t u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t u32(const uint8_t* p) { return static_cast<uint32_t>(u16(p)) | (static_cast<uint32_t>(u16(p + 2)) << 16); }
uint64_t u64(const uint8_t* p) { return static_cast<uint64_t>(u32(p)) | (static_cast<uint64_t>(u32(p + 4)) << 32); }

constexpr uint32_t kPtInterp = 3;
constexpr uint16_t kMaxPhdrs = 4096;

}  // namespace

ElfInfo read_elf(const std::string& path) {
  ElfInfo info;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return info;
  struct stat st {};
  uint8_t eh[64];
  if (::fstat(fd, &st) != 0 || ::pread(fd, eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh) ||
      std::memcmp(eh, "\x7f" "ELF", 4) != 0) {
    ::close(fd);
    return info;
  }
  info.is_elf = true;
  info.is_64bit_le = eh[4] == 2 && eh[5] == 1;  // ELFCLASS64, little-endian
  if (!info.is_64bit_le) {
    ::close(fd);
    return info;
  }
  info.machine = u16(eh + 18);
  const uint64_t phoff = u64(eh + 32), shoff = u64(eh + 40);
  const uint16_t phentsize = u16(eh + 54), phnum = u16(eh + 56), shentsize = u16(eh + 58), shnum = u16(eh + 60);
  uint64_t extent = 64;
  if (shoff != 0) extent = std::max(extent, shoff + static_cast<uint64_t>(shnum) * shentsize);
  if (phentsize >= 56 && phnum <= kMaxPhdrs) {
    extent = std::max(extent, phoff + static_cast<uint64_t>(phnum) * phentsize);
    bool interp = false;
    for (uint16_t i = 0; i < phnum; ++i) {
      uint8_t ph[56];
      if (::pread(fd, ph, sizeof ph, static_cast<off_t>(phoff + static_cast<uint64_t>(i) * phentsize)) !=
          static_cast<ssize_t>(sizeof ph))
        break;
      if (u32(ph) == kPtInterp) interp = true;
      extent = std::max(extent, u64(ph + 8) + u64(ph + 32));  // p_offset + p_filesz
    }
    info.is_static = !interp;
  }
  info.extent = std::min<uint64_t>(extent, static_cast<uint64_t>(st.st_size));
  ::close(fd);
  return info;
}

std::string machine_name(uint16_t machine) {
  switch (machine) {
    case 62: return "x86-64";
    case 183: return "arm64";
    case 3: return "x86";
    case 40: return "arm";
    case 243: return "riscv";
    default: return "machine " + std::to_string(machine);
  }
}

}  // namespace hearth::pack
