// Remembering that a pack file was verified, so only its first start pays for hashing it.
#include <sys/stat.h>

#include <fstream>

#include "core/error.h"
#include "core/paths.h"
#include "pack/pack.h"
#include "pack/sha256.h"

namespace hearth::pack {
namespace {

// Identity of this exact file as it is now: any rewrite changes the mtime (or the inode, when a
// new copy replaces it), and the manifest checksum ties the entry to the contents it vouched for.
std::optional<std::string> key_of(const Pack& p) {
  struct stat st {};
  if (::stat(p.path.c_str(), &st) != 0) return std::nullopt;
  const std::string id = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
                         std::to_string(st.st_mtim.tv_nsec) + ":" + to_hex(p.layout.manifest_sha256);
  return to_hex(sha256_of(id.data(), id.size()));
}

}  // namespace

bool verified_before(const Pack& p) {
  auto key = key_of(p);
  if (!key) return false;
  try {
    std::error_code ec;
    return std::filesystem::exists(hearth_home() / "pack-verified" / *key, ec);
  } catch (const Error&) {
    return false;  // no data folder at all: verify every start
  }
}

void remember_verified(const Pack& p) {
  auto key = key_of(p);
  if (!key) return;
  try {
    std::ofstream(hearth_dir("pack-verified") / *key) << p.path << "\n";
  } catch (...) {
    // No writable home (a bare chroot, a read-only account): the next start verifies again.
  }
}

}  // namespace hearth::pack
