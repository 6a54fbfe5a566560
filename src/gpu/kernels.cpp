#include "gpu/kernels.h"

#include <string>

#include "core/error.h"
#include "gpu/kernel_checks.h"
#include "gpu/shaders.h"

namespace hearth::gpu {
namespace {

using namespace detail;

struct RmsNormPush {
  uint32_t n, rows;
  float eps;
  uint32_t has_w;
};

}  // namespace

Kernels::Kernels(Context& ctx, KernelOptions options)
    : ctx_(ctx),
      subgroups_(options.subgroups && ctx.info().features.subgroup_arithmetic),
      integer_dot_(ctx.info().features.integer_dot_product &&
                   (options.integer_dot == IntegerDot::on ||
                    (options.integer_dot == IntegerDot::automatic && ctx.info().features.integer_dot_accelerated))) {}

const Pipeline& Kernels::pipeline(const char* name, uint32_t bindings, uint32_t push_bytes) const {
  // Built on first use: a model that offloads no gelu layer never compiles the gelu shader.
  std::lock_guard lock(mutex_);
  auto& slot = pipelines_[name];
  if (!slot) slot = std::make_unique<Pipeline>(ctx_, name, shader_spirv(name, subgroups_), bindings, push_bytes);
  return *slot;
}

void Kernels::rms_norm(Sequence& seq, const Buffer& x, const Buffer* w, const Buffer& y, int64_t n, int64_t rows,
                       float eps) const {
  need_positive(n, "n", "gpu rms_norm");
  need_positive(rows, "rows", "gpu rms_norm");
  need_u32(rows, n, "gpu rms_norm");
  const std::string shape = "gpu rms_norm " + std::to_string(rows) + " x " + std::to_string(n);
  need_bytes(x, rows * n * 4, "x", shape);
  need_bytes(y, rows * n * 4, "y", shape);
  if (w) need_bytes(*w, n * 4, "w", shape);
  const RmsNormPush push{static_cast<uint32_t>(n), static_cast<uint32_t>(rows), eps, w ? 1u : 0u};
  // Without a scale the binding still needs a buffer: x stands in, unread.
  seq.dispatch(pipeline("rms_norm", 3, sizeof(push)), {&x, w ? w : &x, &y}, &push, sizeof(push), row_groups(rows));
}

}  // namespace hearth::gpu
