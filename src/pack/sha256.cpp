#include "pack/sha256.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace hearth::pack {

Digest sha256_file_range(int fd, uint64_t offset, uint64_t length, const std::string& name) {
  std::vector<uint8_t> buf(4u << 20);
  Sha256 h;
  while (length > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), length));
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(Errc::io, name + ": read failed: " + std::strerror(errno));
    if (n == 0) fail(Errc::format, name + ": ends early (at byte " + std::to_string(offset) + ")");
    h.update(buf.data(), static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
    length -= static_cast<uint64_t>(n);
  }
  return h.finish();
}

}  // namespace hearth::pack
