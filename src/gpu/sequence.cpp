#include "gpu/sequence.h"

#include "core/error.h"

namespace hearth::gpu {
namespace {

// A pool holds kSetsPerPool sets of kBuffersPerSet buffers on average.
constexpr uint32_t kSetsPerPool = 256;
constexpr uint32_t kBuffersPerSet = 8;

// Everything the queue did before is finished and visible to what it does next. Coarse, but the
// kernels are chained one after the other anyway; finer barriers can come with overlap.
constexpr VkPipelineStageFlags kStages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
constexpr VkAccessFlags kWrites = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
constexpr VkAccessFlags kReadsWrites =
    VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;

}  // namespace

Sequence::Sequence(Context& ctx) : ctx_(ctx) {
  const DeviceFns& f = ctx.fns();
  VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  ai.commandPool = ctx.command_pool();
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  check(f.vkAllocateCommandBuffers(ctx.device(), &ai, &cmd_), "vkAllocateCommandBuffers");
  VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  const VkResult r = f.vkCreateFence(ctx.device(), &fci, nullptr, &fence_);
  if (r != VK_SUCCESS) {
    f.vkFreeCommandBuffers(ctx.device(), ctx.command_pool(), 1, &cmd_);
    check(r, "vkCreateFence");
  }
}

Sequence::~Sequence() {
  const DeviceFns& f = ctx_.fns();
  for (VkDescriptorPool p : pools_) f.vkDestroyDescriptorPool(ctx_.device(), p, nullptr);
  f.vkDestroyFence(ctx_.device(), fence_, nullptr);
  f.vkFreeCommandBuffers(ctx_.device(), ctx_.command_pool(), 1, &cmd_);
}

void Sequence::begin_command() {
  const DeviceFns& f = ctx_.fns();
  if (commands_++ == 0) {
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(f.vkBeginCommandBuffer(cmd_, &bi), "vkBeginCommandBuffer");
    return;
  }
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = kWrites;
  mb.dstAccessMask = kReadsWrites;
  f.vkCmdPipelineBarrier(cmd_, kStages, kStages, 0, 1, &mb, 0, nullptr, 0, nullptr);
}

VkDescriptorSet Sequence::allocate_set(const Pipeline& pipeline) {
  const DeviceFns& f = ctx_.fns();
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (pool_ == pools_.size()) {
      VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kBuffersPerSet};
      VkDescriptorPoolCreateInfo pci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
      pci.maxSets = kSetsPerPool;
      pci.poolSizeCount = 1;
      pci.pPoolSizes = &size;
      VkDescriptorPool pool = VK_NULL_HANDLE;
      check(f.vkCreateDescriptorPool(ctx_.device(), &pci, nullptr, &pool), "vkCreateDescriptorPool");
      pools_.push_back(pool);
    }
    VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    ai.descriptorPool = pools_[pool_];
    ai.descriptorSetCount = 1;
    const VkDescriptorSetLayout layout = pipeline.set_layout();
    ai.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    const VkResult r = f.vkAllocateDescriptorSets(ctx_.device(), &ai, &set);
    if (r == VK_SUCCESS) return set;
    // This pool is full (of sets or of buffer descriptors): go on with the next one.
    if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL) check(r, "vkAllocateDescriptorSets");
    ++pool_;
  }
  fail(Errc::internal, "no descriptor set for " + pipeline.name() + " in a fresh pool");
}

void Sequence::dispatch(const Pipeline& pipeline, std::initializer_list<const Buffer*> buffers, const void* push,
                        uint32_t push_bytes, Groups groups) {
  const std::string& name = pipeline.name();
  if (buffers.size() != pipeline.bindings())
    fail(Errc::internal, name + " takes " + std::to_string(pipeline.bindings()) + " buffers, not " +
                             std::to_string(buffers.size()));
  if (push_bytes != pipeline.push_bytes())
    fail(Errc::internal, name + " takes " + std::to_string(pipeline.push_bytes()) + " bytes of push constants, not " +
                             std::to_string(push_bytes));
  const VkPhysicalDeviceLimits& lim = ctx_.limits();
  const uint32_t g[3] = {groups.x, groups.y, groups.z};
  for (int i = 0; i < 3; ++i)
    if (g[i] == 0 || g[i] > lim.maxComputeWorkGroupCount[i])
      fail(Errc::out_of_range, name + ": " + std::to_string(g[i]) + " workgroups in dimension " + std::to_string(i) +
                                   " (the device allows 1.." + std::to_string(lim.maxComputeWorkGroupCount[i]) + ")");
  std::vector<VkDescriptorBufferInfo> infos;
  for (const Buffer* b : buffers) {
    if (!b || !b->handle()) fail(Errc::invalid_argument, name + ": a buffer is missing");
    if (&b->context() != &ctx_) fail(Errc::invalid_argument, name + ": a buffer belongs to another GPU context");
    if (b->size() > lim.maxStorageBufferRange)
      fail(Errc::out_of_range, name + ": a buffer of " + std::to_string(b->size()) + " bytes is larger than one binding on " +
                                   ctx_.info().name + " can see (" + std::to_string(lim.maxStorageBufferRange) + ")");
    infos.push_back({b->handle(), 0, VK_WHOLE_SIZE});
  }

  const DeviceFns& f = ctx_.fns();
  const VkDescriptorSet set = allocate_set(pipeline);
  std::vector<VkWriteDescriptorSet> writes(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) {
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = static_cast<uint32_t>(i);
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  f.vkUpdateDescriptorSets(ctx_.device(), static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);

  begin_command();
  f.vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle());
  f.vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0, 1, &set, 0, nullptr);
  if (push_bytes) f.vkCmdPushConstants(cmd_, pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
  f.vkCmdDispatch(cmd_, groups.x, groups.y, groups.z);
}

void Sequence::copy(const Buffer& src, const Buffer& dst, size_t bytes, size_t src_offset, size_t dst_offset) {
  src.check_range(bytes, src_offset, "copy source");
  dst.check_range(bytes, dst_offset, "copy destination");
  if (bytes == 0) return;
  begin_command();
  VkBufferCopy region{src_offset, dst_offset, bytes};
  ctx_.fns().vkCmdCopyBuffer(cmd_, src.handle(), dst.handle(), 1, &region);
}

void Sequence::run() {
  if (commands_ == 0) return;
  const DeviceFns& f = ctx_.fns();
  // Results become visible to host reads after the fence (mapped buffers are read directly).
  VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  mb.srcAccessMask = kWrites;
  mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  f.vkCmdPipelineBarrier(cmd_, kStages, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
  try {
    check(f.vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cmd_;
    check(f.vkQueueSubmit(ctx_.queue(), 1, &si, fence_), "vkQueueSubmit");
    check(f.vkWaitForFences(ctx_.device(), 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
  } catch (...) {
    f.vkDeviceWaitIdle(ctx_.device());
    reset();
    throw;
  }
  reset();
}

void Sequence::reset() noexcept {
  const DeviceFns& f = ctx_.fns();
  f.vkResetFences(ctx_.device(), 1, &fence_);
  f.vkResetCommandBuffer(cmd_, 0);
  for (VkDescriptorPool p : pools_) f.vkResetDescriptorPool(ctx_.device(), p, 0);
  pool_ = 0;
  commands_ = 0;
}

}  // namespace hearth::gpu
