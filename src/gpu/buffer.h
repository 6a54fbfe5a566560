// A storage buffer on the device with its own memory. Where the device's memory is also
// visible to the host (integrated GPUs, lavapipe, resizable BAR) it stays mapped and transfers
// are memcpy; otherwise upload/download go through a temporary host-visible staging buffer.
#pragma once
#include <cstddef>

#include "gpu/context.h"

namespace hearth::gpu {

struct BufferOptions {
  // false: never map, always stage (the path discrete GPUs take; lets tests run it anywhere).
  bool map_if_possible = true;
  // A host-visible buffer (staging, read-back) instead of device-local memory.
  bool host = false;
};

class Buffer {
 public:
  // `bytes` > 0. Throws hearth::Error: out_of_range when the device cannot hold it (with sizes).
  Buffer(Context& ctx, size_t bytes, BufferOptions options = {});
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  size_t size() const { return size_; }  // as asked for (the allocation may be larger)
  VkBuffer handle() const { return buffer_; }
  bool mapped() const { return mapped_ != nullptr; }
  Context& context() const { return *ctx_; }

  // Copy bytes in or out at `offset`; a range past the end is Errc::invalid_argument. Wait for
  // the device: call them only when no recorded work that uses the buffer is pending.
  void upload(const void* src, size_t bytes, size_t offset = 0);
  void download(void* dst, size_t bytes, size_t offset = 0) const;
  // Errc::invalid_argument, naming `what`, when `bytes` at `offset` do not fit in the buffer.
  void check_range(size_t bytes, size_t offset, const char* what) const;

 private:
  void release() noexcept;

  Context* ctx_ = nullptr;
  size_t size_ = 0;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  void* mapped_ = nullptr;
};

}  // namespace hearth::gpu
