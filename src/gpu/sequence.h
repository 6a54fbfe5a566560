// Recorded GPU work: dispatches and copies go into one command buffer, each ordered after the
// ones before it (a memory barrier between commands), and run() submits it and waits. A
// Sequence can be filled and run again; the buffers it names must live until run() returns.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "gpu/buffer.h"
#include "gpu/pipeline.h"

namespace hearth::gpu {

struct Groups {
  uint32_t x = 1, y = 1, z = 1;
};

class Sequence {
 public:
  explicit Sequence(Context& ctx);
  ~Sequence();
  Sequence(const Sequence&) = delete;
  Sequence& operator=(const Sequence&) = delete;

  // Runs `pipeline` over `groups` workgroups with buffers bound at 0..n-1 and `push` as its push
  // constants. Checks the count of buffers and push bytes against the pipeline, each buffer
  // against the device's largest binding and the groups against its limits (hearth::Error).
  void dispatch(const Pipeline& pipeline, std::initializer_list<const Buffer*> buffers, const void* push,
                uint32_t push_bytes, Groups groups);
  void copy(const Buffer& src, const Buffer& dst, size_t bytes, size_t src_offset = 0, size_t dst_offset = 0);
  // Submits what was recorded, waits for it, and makes the results visible to the host.
  void run();
  bool empty() const { return commands_ == 0; }

 private:
  void begin_command();  // starts recording, or orders the next command after the previous ones
  VkDescriptorSet allocate_set(const Pipeline& pipeline);
  void reset() noexcept;

  Context& ctx_;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> pools_;  // descriptor sets of the recorded commands, reset by run()
  size_t pool_ = 0;                      // the pool sets come from now (pools_.size(): make one)
  uint32_t commands_ = 0;
};

}  // namespace hearth::gpu
