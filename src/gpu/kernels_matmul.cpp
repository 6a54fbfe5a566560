#include <string>

#include "core/error.h"
#include "gpu/kernel_checks.h"
#include "gpu/kernels.h"

namespace hearth::gpu {
namespace {

using namespace detail;

struct MatvecPush {
  uint32_t rows, k;
};

}  // namespace

bool Kernels::has_matmul(tensor::Type type) { return type == tensor::Type::F32 || type == tensor::Type::F16; }

void Kernels::matmul(Sequence& seq, const Buffer& W, tensor::Type type, int64_t rows, int64_t k, const Buffer& x,
                     const Buffer& y, int64_t n) const {
  need_positive(rows, "rows", "gpu matmul");
  need_positive(k, "k", "gpu matmul");
  need_positive(n, "n", "gpu matmul");
  need_u32(rows, k, "gpu matmul");
  if (n != 1) fail(Errc::unsupported, "gpu matmul: more than one column (not yet)");
  const char* name = nullptr;
  if (type == tensor::Type::F32) name = "matvec_f32";
  else if (type == tensor::Type::F16) name = "matvec_f16";
  else fail(Errc::unsupported, "gpu matmul: weights of type " + std::string(tensor::type_name(type)) + " (F32 and F16 so far)");
  const std::string shape = "gpu matmul " + std::to_string(rows) + " x " + std::to_string(k) + " " +
                            std::string(tensor::type_name(type));
  need_bytes(W, static_cast<int64_t>(tensor::row_size(type, k)) * rows, "W", shape);
  need_bytes(x, k * 4, "x", shape);
  need_bytes(y, rows * 4, "y", shape);
  const MatvecPush push{static_cast<uint32_t>(rows), static_cast<uint32_t>(k)};
  seq.dispatch(pipeline(name, 3, sizeof(push)), {&W, &x, &y}, &push, sizeof(push), row_groups(rows));
}

}  // namespace hearth::gpu
