#include "gpu/buffer.h"

#include <cstring>
#include <utility>

#include "core/error.h"
#include "gpu/sequence.h"

namespace hearth::gpu {
namespace {

constexpr VkMemoryPropertyFlags kMappable = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

}  // namespace

Buffer::Buffer(Context& ctx, size_t bytes, BufferOptions options) : ctx_(&ctx), size_(bytes) {
  if (bytes == 0) fail(Errc::invalid_argument, "a GPU buffer needs at least one byte");
  const DeviceFns& f = ctx.fns();
  const VkDevice dev = ctx.device();
  VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  // Rounded up so that shaders may read the last element as part of a whole 32-bit word (F16).
  bci.size = (bytes + 15) & ~size_t{15};
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  check(f.vkCreateBuffer(dev, &bci, nullptr, &buffer_), "vkCreateBuffer");
  try {
    VkMemoryRequirements req{};
    f.vkGetBufferMemoryRequirements(dev, buffer_, &req);
    const DeviceInfo& info = ctx.info();
    if (info.max_allocation_bytes && req.size > info.max_allocation_bytes)
      fail(Errc::out_of_range, "a GPU buffer of " + mib(req.size) + " exceeds the largest allocation " + info.name +
                                   " allows (" + mib(info.max_allocation_bytes) + ")");
    // The first device-local type is the plain VRAM one (the spec orders types with fewer
    // flags first); on unified-memory devices it is also host-visible and gets mapped.
    int type = options.host ? ctx.memory_type(req.memoryTypeBits, kMappable, VK_MEMORY_PROPERTY_HOST_CACHED_BIT)
                            : ctx.memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (type < 0 && !options.host) type = ctx.memory_type(req.memoryTypeBits, 0);
    if (type < 0) fail(Errc::unsupported, info.name + " has no memory type for a " + (options.host ? "host" : "device") + " buffer");
    VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = static_cast<uint32_t>(type);
    const VkResult r = f.vkAllocateMemory(dev, &mai, nullptr, &memory_);
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
      fail(Errc::out_of_range, "out of " + std::string(r == VK_ERROR_OUT_OF_DEVICE_MEMORY ? "device" : "host") +
                                   " memory on " + info.name + ": a buffer of " + mib(req.size) + " did not fit (" +
                                   mib(info.device_local_bytes) + " device-local in all)");
    check(r, "vkAllocateMemory");
    check(f.vkBindBufferMemory(dev, buffer_, memory_, 0), "vkBindBufferMemory");
    const VkMemoryPropertyFlags flags = ctx.memory_properties().memoryTypes[type].propertyFlags;
    if ((flags & kMappable) == kMappable && (options.map_if_possible || options.host))
      check(f.vkMapMemory(dev, memory_, 0, VK_WHOLE_SIZE, 0, &mapped_), "vkMapMemory");
  } catch (...) {
    release();
    throw;
  }
}

Buffer::~Buffer() { release(); }

Buffer::Buffer(Buffer&& o) noexcept
    : ctx_(o.ctx_), size_(o.size_), buffer_(std::exchange(o.buffer_, VK_NULL_HANDLE)),
      memory_(std::exchange(o.memory_, VK_NULL_HANDLE)), mapped_(std::exchange(o.mapped_, nullptr)) {}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    release();
    ctx_ = o.ctx_;
    size_ = o.size_;
    buffer_ = std::exchange(o.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(o.memory_, VK_NULL_HANDLE);
    mapped_ = std::exchange(o.mapped_, nullptr);
  }
  return *this;
}

void Buffer::release() noexcept {
  const DeviceFns& f = ctx_->fns();
  if (mapped_) f.vkUnmapMemory(ctx_->device(), memory_);
  if (buffer_) f.vkDestroyBuffer(ctx_->device(), buffer_, nullptr);
  if (memory_) f.vkFreeMemory(ctx_->device(), memory_, nullptr);
  mapped_ = nullptr;
  buffer_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
}

void Buffer::check_range(size_t bytes, size_t offset, const char* what) const {
  if (offset > size_ || bytes > size_ - offset)
    fail(Errc::invalid_argument, std::string("GPU buffer ") + what + " of " + std::to_string(bytes) + " bytes at offset " +
                                     std::to_string(offset) + " overruns the buffer's " + std::to_string(size_) + " bytes");
}

void Buffer::upload(const void* src, size_t bytes, size_t offset) {
  check_range(bytes, offset, "upload");
  if (bytes == 0) return;
  if (mapped_) {
    std::memcpy(static_cast<char*>(mapped_) + offset, src, bytes);
    return;
  }
  Buffer staging(*ctx_, bytes, {.host = true});
  staging.upload(src, bytes);
  Sequence seq(*ctx_);
  seq.copy(staging, *this, bytes, 0, offset);
  seq.run();
}

void Buffer::download(void* dst, size_t bytes, size_t offset) const {
  check_range(bytes, offset, "download");
  if (bytes == 0) return;
  if (mapped_) {
    std::memcpy(dst, static_cast<const char*>(mapped_) + offset, bytes);
    return;
  }
  Buffer staging(*ctx_, bytes, {.host = true});
  Sequence seq(*ctx_);
  seq.copy(*this, staging, bytes, offset, 0);
  seq.run();
  staging.download(dst, bytes);
}

}  // namespace hearth::gpu
