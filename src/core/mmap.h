// Read-only memory map of a whole file. Model weights are used in place from the mapping, so
// loading costs page-cache hits, not copies.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace hearth {

class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::string& path);  // throws Error(not_found|io)
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

 private:
  void reset() noexcept;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace hearth
