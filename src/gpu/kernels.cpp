#include "gpu/kernels.h"

#include <algorithm>
#include <limits>
#include <string>

#include "core/error.h"
#include "gpu/shaders.h"

namespace hearth::gpu {
namespace {

constexpr uint32_t kMaxGroupsX = 65535;  // the spec's minimum maxComputeWorkGroupCount[0]

struct MatvecPush {
  uint32_t rows, k;
};
struct RmsNormPush {
  uint32_t n, rows;
  float eps;
  uint32_t has_w;
};

// One workgroup per row, spread over y when there are more rows than x allows.
Groups row_groups(int64_t rows) {
  const auto x = static_cast<uint32_t>(std::min<int64_t>(rows, kMaxGroupsX));
  return {x, static_cast<uint32_t>((rows + x - 1) / x), 1};
}

void need_positive(int64_t v, const char* what, const char* op) {
  if (v <= 0) fail(Errc::invalid_argument, std::string(op) + ": " + what + " must be positive, not " + std::to_string(v));
}

// Element indices in the shaders are 32-bit.
void need_u32(int64_t rows, int64_t cols, const char* op) {
  constexpr int64_t kMax = std::numeric_limits<uint32_t>::max();
  if (rows > kMax || cols > kMax || rows * cols > kMax)
    fail(Errc::out_of_range, std::string(op) + ": " + std::to_string(rows) + " x " + std::to_string(cols) +
                                 " elements are more than one dispatch indexes (2^32)");
}

void need_bytes(const Buffer& b, int64_t bytes, const char* what, const std::string& shape) {
  if (static_cast<uint64_t>(bytes) > b.size())
    fail(Errc::invalid_argument, shape + ": " + what + " needs " + std::to_string(bytes) + " bytes, its buffer holds " +
                                     std::to_string(b.size()));
}

}  // namespace

Kernels::Kernels(Context& ctx, KernelOptions options)
    : subgroups_(options.subgroups && ctx.info().features.subgroup_arithmetic) {
  const auto make = [&](const char* name, uint32_t bindings, uint32_t push) {
    return std::make_unique<Pipeline>(ctx, name, shader_spirv(name, subgroups_), bindings, push);
  };
  matvec_f32_ = make("matvec_f32", 3, sizeof(MatvecPush));
  matvec_f16_ = make("matvec_f16", 3, sizeof(MatvecPush));
  rms_norm_ = make("rms_norm", 3, sizeof(RmsNormPush));
}

void Kernels::matvec(Sequence& seq, const Buffer& W, tensor::Type type, int64_t rows, int64_t k, const Buffer& x,
                     const Buffer& y) const {
  need_positive(rows, "rows", "gpu matvec");
  need_positive(k, "k", "gpu matvec");
  need_u32(rows, k, "gpu matvec");
  const Pipeline* pipeline = nullptr;
  if (type == tensor::Type::F32) pipeline = matvec_f32_.get();
  else if (type == tensor::Type::F16) pipeline = matvec_f16_.get();
  else fail(Errc::unsupported, "gpu matvec: weights of type " + std::string(tensor::type_name(type)) + " (F32 and F16 so far)");
  const std::string shape = "gpu matvec " + std::to_string(rows) + " x " + std::to_string(k) + " " +
                            std::string(tensor::type_name(type));
  need_bytes(W, static_cast<int64_t>(tensor::row_size(type, k)) * rows, "W", shape);
  need_bytes(x, k * 4, "x", shape);
  need_bytes(y, rows * 4, "y", shape);
  const MatvecPush push{static_cast<uint32_t>(rows), static_cast<uint32_t>(k)};
  seq.dispatch(*pipeline, {&W, &x, &y}, &push, sizeof(push), row_groups(rows));
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
  seq.dispatch(*rms_norm_, {&x, w ? w : &x, &y}, &push, sizeof(push), row_groups(rows));
}

}  // namespace hearth::gpu
