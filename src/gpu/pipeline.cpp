#include "gpu/pipeline.h"

#include <vector>

#include "core/error.h"

namespace hearth::gpu {

Pipeline::Pipeline(Context& ctx, std::string name, std::span<const uint32_t> spirv, uint32_t bindings,
                   uint32_t push_bytes)
    : ctx_(ctx), name_(std::move(name)), bindings_(bindings), push_bytes_(push_bytes) {
  if (spirv.empty()) fail(Errc::internal, "shader " + name_ + " has no SPIR-V");
  if (push_bytes > ctx.limits().maxPushConstantsSize)
    fail(Errc::unsupported, "shader " + name_ + " needs " + std::to_string(push_bytes) + " bytes of push constants; " +
                                ctx.info().name + " allows " + std::to_string(ctx.limits().maxPushConstantsSize));
  const DeviceFns& f = ctx.fns();
  const VkDevice dev = ctx.device();
  VkShaderModule module = VK_NULL_HANDLE;
  try {
    std::vector<VkDescriptorSetLayoutBinding> b(bindings);
    for (uint32_t i = 0; i < bindings; ++i) {
      b[i].binding = i;
      b[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      b[i].descriptorCount = 1;
      b[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo dci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    dci.bindingCount = bindings;
    dci.pBindings = b.data();
    check(f.vkCreateDescriptorSetLayout(dev, &dci, nullptr, &set_layout_), "vkCreateDescriptorSetLayout (" + name_ + ")");

    VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes};
    VkPipelineLayoutCreateInfo lci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    lci.setLayoutCount = 1;
    lci.pSetLayouts = &set_layout_;
    lci.pushConstantRangeCount = push_bytes ? 1 : 0;
    lci.pPushConstantRanges = &range;
    check(f.vkCreatePipelineLayout(dev, &lci, nullptr, &layout_), "vkCreatePipelineLayout (" + name_ + ")");

    VkShaderModuleCreateInfo mci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    mci.codeSize = spirv.size_bytes();
    mci.pCode = spirv.data();
    check(f.vkCreateShaderModule(dev, &mci, nullptr, &module), "vkCreateShaderModule (" + name_ + ")");

    VkComputePipelineCreateInfo pci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    pci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
    pci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    pci.stage.module = module;
    pci.stage.pName = "main";
    pci.layout = layout_;
    check(f.vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &pci, nullptr, &pipeline_),
          "vkCreateComputePipelines (" + name_ + ")");
  } catch (...) {
    if (module) f.vkDestroyShaderModule(dev, module, nullptr);
    release();
    throw;
  }
  // The pipeline keeps what it needs; the module can go.
  f.vkDestroyShaderModule(dev, module, nullptr);
}

Pipeline::~Pipeline() { release(); }

void Pipeline::release() noexcept {
  const DeviceFns& f = ctx_.fns();
  if (pipeline_) f.vkDestroyPipeline(ctx_.device(), pipeline_, nullptr);
  if (layout_) f.vkDestroyPipelineLayout(ctx_.device(), layout_, nullptr);
  if (set_layout_) f.vkDestroyDescriptorSetLayout(ctx_.device(), set_layout_, nullptr);
  pipeline_ = VK_NULL_HANDLE;
  layout_ = VK_NULL_HANDLE;
  set_layout_ = VK_NULL_HANDLE;
}

}  // namespace hearth::gpu
