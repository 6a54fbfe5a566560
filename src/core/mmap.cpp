#include "core/mmap.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "core/error.h"

namespace hearth {

MappedFile::MappedFile(const std::string& path) : path_(path) { map(path, true, 0, 0); }

MappedFile::MappedFile(const std::string& path, uint64_t offset, uint64_t length) : path_(path) {
  map(path, false, offset, length);
}

void MappedFile::map(const std::string& path, bool whole, uint64_t offset, uint64_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    fail(e == ENOENT ? Errc::not_found : Errc::io, path + ": " + std::strerror(e));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    fail(Errc::io, path + ": " + std::strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    fail(Errc::invalid_argument, path + ": is a directory, not a file");
  }
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (whole) {
    offset = 0;
    length = file_size;
  } else if (offset > file_size || length > file_size - offset) {
    ::close(fd);
    fail(Errc::format, path + ": byte range " + std::to_string(offset) + "+" + std::to_string(length) +
                           " lies outside the " + std::to_string(file_size) + "-byte file");
  }
  // mmap offsets must be page multiples: map from the page holding `offset` and hide the lead.
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  lead_ = static_cast<size_t>(offset % page);
  size_ = static_cast<size_t>(length);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, lead_ + size_, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(offset - lead_));
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      size_ = lead_ = 0;
      fail(Errc::io, path + ": mmap failed: " + std::strerror(e));
    }
    data_ = static_cast<const uint8_t*>(p) + lead_;
  }
  ::close(fd);  // the mapping keeps the file alive
}

MappedFile::~MappedFile() { reset(); }

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      lead_(std::exchange(other.lead_, 0)),
      path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    lead_ = std::exchange(other.lead_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

void MappedFile::reset() noexcept {
  if (data_) ::munmap(const_cast<uint8_t*>(data_ - lead_), lead_ + size_);
  data_ = nullptr;
  size_ = 0;
  lead_ = 0;
}

void MappedFile::prefetch(size_t offset, size_t len) const {
  if (!data_ || offset >= size_) return;
  // madvise wants a page-aligned address: offsets count from data_, pages from data_ - lead_.
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t start = (lead_ + offset) / page * page;
  const size_t end = lead_ + std::min(size_, offset + len);
  ::madvise(const_cast<uint8_t*>(data_ - lead_) + start, end - start, MADV_WILLNEED);
}

void MappedFile::release(const void* p, size_t len) const {
  const auto* b = static_cast<const uint8_t*>(p);
  if (!data_ || b < data_ || len > size_ || b - data_ > static_cast<ptrdiff_t>(size_ - len)) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t start = (reinterpret_cast<uintptr_t>(b) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(b) + len) / page * page;
  if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
}

}  // namespace hearth
