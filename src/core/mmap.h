// Read-only memory map of a whole file (or of one byte range of it). Model weights are used in
// place from the mapping, so loading costs page-cache hits, not copies.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace hearth {

class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::string& path);  // throws Error(not_found|io)
  // Maps only bytes [offset, offset+length) of `path` (a model embedded in a larger file);
  // data() points at `offset`. Throws Error(format) when the range lies outside the file.
  MappedFile(const std::string& path, uint64_t offset, uint64_t length);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  bool empty() const { return size_ == 0; }

  // Asks the kernel to read ahead [offset, offset+len) (MADV_WILLNEED); a hint only.
  void prefetch(size_t offset, size_t len) const;
  // Drops the whole pages inside [p, p+len) from this process's memory (MADV_DONTNEED) once
  // their bytes have been copied elsewhere. The mapping is read-only and file-backed, so a later
  // read faults the same bytes back in. Ranges outside the mapping are ignored.
  void release(const void* p, size_t len) const;

 private:
  void reset() noexcept;
  void map(const std::string& path, bool whole, uint64_t offset, uint64_t length);
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t lead_ = 0;  // bytes mapped before data_ (the range's offset rounded down to a page)
  std::string path_;
};

}  // namespace hearth
