// A compute pipeline from embedded SPIR-V: `bindings` storage buffers (set 0, bindings 0..n-1)
// and `push_bytes` of push constants, the interface every hearth shader has.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "gpu/context.h"

namespace hearth::gpu {

class Pipeline {
 public:
  Pipeline(Context& ctx, std::string name, std::span<const uint32_t> spirv, uint32_t bindings, uint32_t push_bytes);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  const std::string& name() const { return name_; }
  uint32_t bindings() const { return bindings_; }
  uint32_t push_bytes() const { return push_bytes_; }
  VkPipeline handle() const { return pipeline_; }
  VkPipelineLayout layout() const { return layout_; }
  VkDescriptorSetLayout set_layout() const { return set_layout_; }

 private:
  void release() noexcept;

  Context& ctx_;
  std::string name_;
  uint32_t bindings_ = 0, push_bytes_ = 0;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
};

}  // namespace hearth::gpu
