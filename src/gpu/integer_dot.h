// When the quantized matmuls use the device's integer dot product (gpu::Kernels::integer_dot):
// plain data, so the option structs of the layers above (model::LoadOptions) carry it without the
// Vulkan headers.
#pragma once

namespace hearth::gpu {

enum class IntegerDot {
  off,        // the float matmuls everywhere
  automatic,  // where the driver says the packed dot product is accelerated (not emulated)
  on,         // wherever the device has it, accelerated or not (the tests, on lavapipe)
};

}  // namespace hearth::gpu
