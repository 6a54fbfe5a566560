// Just enough ELF reading to tell what kind of program a pack runtime is.
#pragma once
#include <cstdint>
#include <string>

namespace hearth::pack {

struct ElfInfo {
  bool is_elf = false;
  bool is_64bit_le = false;
  uint16_t machine = 0;       // e_machine: 62 = x86-64, 183 = AArch64
  bool is_static = false;     // no PT_INTERP: needs no dynamic loader or shared libraries
  uint64_t extent = 0;        // bytes the ELF itself spans (headers, segments, section table)
};

// Reads the ELF header and program headers of `path` (bounded reads; garbage gives is_elf=false).
ElfInfo read_elf(const std::string& path);
std::string machine_name(uint16_t machine);

}  // namespace hearth::pack
