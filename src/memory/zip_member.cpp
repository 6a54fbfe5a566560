#include "memory/zip_member.h"

#include <minizip/unzip.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "core/error.h"

namespace hearth::memory {

namespace {

// minizip's I/O callbacks over a byte string: the archive never touches the disk again.
struct Source {
  const std::string* bytes;
  ZPOS64_T pos = 0;
};

voidpf ZCALLBACK open_mem(voidpf opaque, const void*, int mode) {
  if ((mode & ZLIB_FILEFUNC_MODE_READWRITEFILTER) != ZLIB_FILEFUNC_MODE_READ) return nullptr;
  static_cast<Source*>(opaque)->pos = 0;
  return opaque;
}
uLong ZCALLBACK read_mem(voidpf, voidpf stream, void* buf, uLong size) {
  auto* s = static_cast<Source*>(stream);
  const ZPOS64_T left = s->pos < s->bytes->size() ? s->bytes->size() - s->pos : 0;
  const uLong n = static_cast<uLong>(std::min<ZPOS64_T>(size, left));
  std::memcpy(buf, s->bytes->data() + s->pos, n);
  s->pos += n;
  return n;
}
uLong ZCALLBACK write_mem(voidpf, voidpf, const void*, uLong) { return 0; }
ZPOS64_T ZCALLBACK tell_mem(voidpf, voidpf stream) { return static_cast<Source*>(stream)->pos; }
long ZCALLBACK seek_mem(voidpf, voidpf stream, ZPOS64_T offset, int origin) {
  auto* s = static_cast<Source*>(stream);
  ZPOS64_T base = 0;
  if (origin == ZLIB_FILEFUNC_SEEK_CUR) base = s->pos;
  else if (origin == ZLIB_FILEFUNC_SEEK_END) base = s->bytes->size();
  else if (origin != ZLIB_FILEFUNC_SEEK_SET) return -1;
  if (offset > s->bytes->size() || base > s->bytes->size() - offset) return -1;
  s->pos = base + offset;
  return 0;
}
int ZCALLBACK close_mem(voidpf, voidpf) { return 0; }
int ZCALLBACK error_mem(voidpf, voidpf) { return 0; }

// Opens the archive and calls fn for each member (its name, and the archive positioned on it)
// until fn returns false.
void each_member(const std::string& bytes, const std::string& where,
                 const std::function<bool(unzFile, const std::string&, const unz_file_info64&)>& fn) {
  Source src{&bytes};
  zlib_filefunc64_def io{};
  io.zopen64_file = open_mem;
  io.zread_file = read_mem;
  io.zwrite_file = write_mem;
  io.ztell64_file = tell_mem;
  io.zseek64_file = seek_mem;
  io.zclose_file = close_mem;
  io.zerror_file = error_mem;
  io.opaque = &src;
  unzFile zf = unzOpen2_64("memory", &io);
  if (!zf) fail(Errc::format, where + ": not a readable zip archive (damaged or truncated?)");
  struct Closer {
    unzFile f;
    ~Closer() { unzClose(f); }
  } closer{zf};
  int rc = unzGoToFirstFile(zf);
  while (rc == UNZ_OK) {
    unz_file_info64 info{};
    char name[1024];
    if (unzGetCurrentFileInfo64(zf, &info, name, sizeof name, nullptr, 0, nullptr, 0) != UNZ_OK)
      fail(Errc::format, where + ": a damaged entry in the zip's directory");
    if (!fn(zf, std::string(name, strnlen(name, sizeof name)), info)) return;
    rc = unzGoToNextFile(zf);
  }
  if (rc != UNZ_END_OF_LIST_OF_FILE) fail(Errc::format, where + ": the zip's directory is damaged");
}

}  // namespace

bool is_zip(std::string_view bytes) { return bytes.size() >= 4 && bytes.compare(0, 4, "PK\x03\x04", 4) == 0; }

std::optional<std::string> zip_member(const std::string& bytes, const std::string& name, const std::string& where,
                                      size_t max_bytes) {
  std::optional<std::string> out;
  each_member(bytes, where, [&](unzFile zf, const std::string& member, const unz_file_info64& info) {
    const bool match = member == name || (member.size() > name.size() && member[member.size() - name.size() - 1] == '/' &&
                                          member.compare(member.size() - name.size(), name.size(), name) == 0);
    if (!match) return true;
    const std::string here = where + ": " + member;
    if (info.flag & 1) fail(Errc::unsupported, here + " is encrypted");
    if (info.compression_method != 0 && info.compression_method != Z_DEFLATED)
      fail(Errc::unsupported, here + ": compression method " + std::to_string(info.compression_method) +
                                  " (only stored and deflate are read)");
    if (unzOpenCurrentFile(zf) != UNZ_OK) fail(Errc::format, here + ": cannot be opened (damaged?)");
    std::string data;
    char buf[65536];
    int n;
    // The directory's size is only a claim: the limit applies to what actually comes out.
    while ((n = unzReadCurrentFile(zf, buf, sizeof buf)) > 0) {
      if (data.size() + static_cast<size_t>(n) > max_bytes) {
        unzCloseCurrentFile(zf);
        fail(Errc::out_of_range, here + " inflates to more than " + std::to_string(max_bytes >> 20) + " MiB");
      }
      data.append(buf, static_cast<size_t>(n));
    }
    const int closed = unzCloseCurrentFile(zf);
    if (n < 0) fail(Errc::format, here + ": damaged compressed data");
    if (closed == UNZ_CRCERROR) fail(Errc::format, here + ": checksum mismatch (damaged archive)");
    out = std::move(data);
    return false;
  });
  return out;
}

std::vector<std::string> zip_names(const std::string& bytes, const std::string& where, size_t limit) {
  std::vector<std::string> names;
  each_member(bytes, where, [&](unzFile, const std::string& member, const unz_file_info64&) {
    names.push_back(member);
    return names.size() < limit;
  });
  return names;
}

}  // namespace hearth::memory
