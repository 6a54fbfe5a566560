#include <string>

#include "core/error.h"
#include "gpu/kernel_checks.h"
#include "gpu/kernels.h"

namespace hearth::gpu {
namespace {

using namespace detail;

// Laid out like Params in shaders/matmul.glsl.
struct MatmulPush {
  uint32_t rows, k, n, col_groups;
};

constexpr int64_t kMatmulCols = 8;  // COLS in shaders/matmul.glsl: columns per workgroup

// The shader of a weight type, nullptr when there is none.
const char* matmul_shader(tensor::Type type) {
  switch (type) {
    case tensor::Type::F32: return "matmul_f32";
    case tensor::Type::F16: return "matmul_f16";
    case tensor::Type::Q8_0: return "matmul_q8_0";
    case tensor::Type::Q4_0: return "matmul_q4_0";
    case tensor::Type::Q4_K: return "matmul_q4_k";
    case tensor::Type::Q6_K: return "matmul_q6_k";
    default: return nullptr;
  }
}

}  // namespace

bool Kernels::has_matmul(tensor::Type type) { return matmul_shader(type) != nullptr; }

void Kernels::matmul(Sequence& seq, const Buffer& W, tensor::Type type, int64_t rows, int64_t k, const Buffer& x,
                     const Buffer& y, int64_t n) const {
  need_positive(rows, "rows", "gpu matmul");
  need_positive(k, "k", "gpu matmul");
  need_positive(n, "n", "gpu matmul");
  const char* name = matmul_shader(type);
  if (!name)
    fail(Errc::unsupported, "gpu matmul: weights of type " + std::string(tensor::type_name(type)) +
                                " (F32, F16, Q8_0, Q4_0, Q4_K and Q6_K have a kernel)");
  const int64_t block = tensor::traits(type).block_size;
  if (k % block != 0)
    fail(Errc::invalid_argument, "gpu matmul: k = " + std::to_string(k) + " is not a multiple of the " +
                                     std::string(tensor::type_name(type)) + " block size " + std::to_string(block));
  // Element indices of W, x and y are 32-bit in the shaders (and so is the workgroup index,
  // rows * col_groups <= rows * n).
  need_u32(rows, k, "gpu matmul");
  need_u32(n, k, "gpu matmul");
  need_u32(n, rows, "gpu matmul");
  const std::string shape = "gpu matmul " + std::to_string(rows) + " x " + std::to_string(k) + " " +
                            std::string(tensor::type_name(type)) + " by " + std::to_string(n) + " column" +
                            (n == 1 ? "" : "s");
  need_bytes(W, static_cast<int64_t>(tensor::row_size(type, k)) * rows, "W", shape);
  need_bytes(x, n * k * 4, "x", shape);
  need_bytes(y, n * rows * 4, "y", shape);
  const int64_t col_groups = (n + kMatmulCols - 1) / kMatmulCols;
  const MatmulPush push{static_cast<uint32_t>(rows), static_cast<uint32_t>(k), static_cast<uint32_t>(n),
                        static_cast<uint32_t>(col_groups)};
  // Workgroup g computes row g / col_groups: the column groups of one row run next to each
  // other and share its weights in the cache.
  seq.dispatch(pipeline(name, 3, sizeof(push)), {&W, &x, &y}, &push, sizeof(push), row_groups(rows * col_groups));
}

}  // namespace hearth::gpu
