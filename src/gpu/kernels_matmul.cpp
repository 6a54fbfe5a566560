#include <string>

#include "core/error.h"
#include "gpu/kernel_checks.h"
#include "gpu/kernels.h"

namespace hearth::gpu {
namespace {

using namespace detail;

// Laid out like Params in shaders/matmul.glsl.
struct MatmulPush {
  uint32_t rows, k, n, col_groups, row0, col_base;
};

constexpr int64_t kMatmulCols = 8;  // COLS in shaders/matmul.glsl: columns per workgroup

// The shader of a weight type, nullptr when there is none.
const char* matmul_shader(tensor::Type type) {
  switch (type) {
    case tensor::Type::F32: return "matmul_f32";
    case tensor::Type::F16: return "matmul_f16";
    case tensor::Type::BF16: return "matmul_bf16";
    case tensor::Type::Q8_0: return "matmul_q8_0";
    case tensor::Type::Q4_0: return "matmul_q4_0";
    case tensor::Type::Q4_1: return "matmul_q4_1";
    case tensor::Type::Q5_0: return "matmul_q5_0";
    case tensor::Type::Q5_1: return "matmul_q5_1";
    case tensor::Type::Q2_K: return "matmul_q2_k";
    case tensor::Type::Q3_K: return "matmul_q3_k";
    case tensor::Type::Q5_K: return "matmul_q5_k";
    case tensor::Type::IQ4_NL: return "matmul_iq4_nl";
    case tensor::Type::IQ4_XS: return "matmul_iq4_xs";
    case tensor::Type::MXFP4: return "matmul_mxfp4";
    case tensor::Type::Q4_K: return "matmul_q4_k";
    case tensor::Type::Q6_K: return "matmul_q6_k";
    default: return nullptr;
  }
}

// The integer-dot shader of a weight type and the activation codes it takes.
struct QuantizedMatmul {
  const char* shader = nullptr;
  tensor::Type act = tensor::Type::F32;
};
QuantizedMatmul quantized_shader(tensor::Type type) {
  switch (type) {
    case tensor::Type::Q8_0: return {"matmul_q8_0_dot", tensor::Type::Q8_0};
    case tensor::Type::Q4_0: return {"matmul_q4_0_dot", tensor::Type::Q8_0};
    case tensor::Type::Q3_K: return {"matmul_q3_k_dot", tensor::Type::Q8_K};
    case tensor::Type::Q4_K: return {"matmul_q4_k_dot", tensor::Type::Q8_K};
    case tensor::Type::Q5_K: return {"matmul_q5_k_dot", tensor::Type::Q8_K};
    case tensor::Type::Q6_K: return {"matmul_q6_k_dot", tensor::Type::Q8_K};
    default: return {};
  }
}

// Checks what both matmuls share and returns the push constants and the text naming the shape.
MatmulPush matmul_shape(const Buffer& W, tensor::Type type, int64_t rows, int64_t k, const Buffer& y, int64_t n,
                        MatmulSlice at, const char* op, std::string& shape) {
  need_positive(rows, "rows", op);
  need_positive(k, "k", op);
  need_positive(n, "n", op);
  need_nonnegative(at.w_row0, "w_row0", op);
  need_nonnegative(at.col0, "col0", op);
  const int64_t block = tensor::traits(type).block_size;
  if (k % block != 0)
    fail(Errc::invalid_argument, std::string(op) + ": k = " + std::to_string(k) + " is not a multiple of the " +
                                     std::string(tensor::type_name(type)) + " block size " + std::to_string(block));
  // Element indices of W, x and y are 32-bit in the shaders (and so is the workgroup index,
  // rows * col_groups <= rows * n).
  need_u32(at.w_row0 + rows, k, op);
  need_u32(at.col0 + n, k, op);
  need_u32(at.col0 + n, rows, op);
  shape = std::string(op) + " " + std::to_string(rows) + " x " + std::to_string(k) + " " +
          std::string(tensor::type_name(type)) + " by " + std::to_string(n) + " column" + (n == 1 ? "" : "s");
  if (at.w_row0 > 0) shape += " from W row " + std::to_string(at.w_row0);
  if (at.col0 > 0) shape += " from column " + std::to_string(at.col0);
  need_bytes(W, static_cast<int64_t>(tensor::row_size(type, k)) * (at.w_row0 + rows), "W", shape);
  need_bytes(y, (at.col0 + n) * rows * 4, "y", shape);
  const int64_t col_groups = (n + kMatmulCols - 1) / kMatmulCols;
  return {static_cast<uint32_t>(rows),      static_cast<uint32_t>(k),         static_cast<uint32_t>(n),
          static_cast<uint32_t>(col_groups), static_cast<uint32_t>(at.w_row0), static_cast<uint32_t>(at.col0)};
}

}  // namespace

bool Kernels::has_matmul(tensor::Type type) { return matmul_shader(type) != nullptr; }
bool Kernels::has_matmul_quantized(tensor::Type type) { return quantized_shader(type).shader != nullptr; }

void Kernels::matmul(Sequence& seq, const Buffer& W, tensor::Type type, int64_t rows, int64_t k, const Buffer& x,
                     const Buffer& y, int64_t n, MatmulSlice at) const {
  const char* name = matmul_shader(type);
  if (!name)
    fail(Errc::unsupported, "gpu matmul: weights of type " + std::string(tensor::type_name(type)) +
                                " (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K-Q6_K, IQ4_NL, IQ4_XS and MXFP4 have a kernel)");
  std::string shape;
  const MatmulPush push = matmul_shape(W, type, rows, k, y, n, at, "gpu matmul", shape);
  need_bytes(x, (at.col0 + n) * k * 4, "x", shape);
  // Workgroup g computes row g / col_groups: the column groups of one row run next to each
  // other and share its weights in the cache.
  seq.dispatch(pipeline(name, 3, sizeof(push)), {&W, &x, &y}, &push, sizeof(push),
               row_groups(int64_t{push.rows} * push.col_groups));
}

void Kernels::matmul_quantized(Sequence& seq, const Buffer& W, tensor::Type type, int64_t rows, int64_t k,
                               const Buffer& codes, const Buffer& scales, const Buffer& y, int64_t n,
                               MatmulSlice at) const {
  const QuantizedMatmul q = quantized_shader(type);
  if (!q.shader)
    fail(Errc::unsupported, "gpu matmul_quantized: weights of type " + std::string(tensor::type_name(type)) +
                                " (Q8_0, Q4_0, Q3_K, Q4_K, Q5_K and Q6_K have an integer-dot kernel)");
  if (!integer_dot_)
    fail(Errc::unsupported, "gpu matmul_quantized: " + ctx_.info().name +
                                (ctx_.info().features.integer_dot_product ? " is used without the integer dot product"
                                                                          : " has no integer dot product"));
  std::string shape;
  const MatmulPush push = matmul_shape(W, type, rows, k, y, n, at, "gpu matmul_quantized", shape);
  // k is a multiple of the weights' block, which is a multiple of the codes' block.
  need_bytes(codes, (at.col0 + n) * k, "codes", shape);
  need_bytes(scales, (at.col0 + n) * (k / tensor::traits(q.act).block_size) * 4, "scales", shape);
  seq.dispatch(pipeline(q.shader, 4, sizeof(push)), {&W, &codes, &scales, &y}, &push, sizeof(push),
               row_groups(int64_t{push.rows} * push.col_groups));
}

void Kernels::quantize_activations(Sequence& seq, const Buffer& x, const Buffer& codes, const Buffer& scales,
                                   int64_t n, tensor::Type act) const {
  struct Push {
    uint32_t blocks, kind;
  };
  uint32_t kind = 0;
  if (act == tensor::Type::Q8_K) kind = 1;
  else if (act != tensor::Type::Q8_0)
    fail(Errc::unsupported, "gpu quantize_activations: no codes for " + std::string(tensor::type_name(act)) +
                                " (Q8_0 and Q8_K have them)");
  const int64_t block = tensor::traits(act).block_size;
  need_positive(n, "n", "gpu quantize_activations");
  need_u32(1, n, "gpu quantize_activations");
  const std::string shape = "gpu quantize_activations of " + std::to_string(n) + " " + std::string(tensor::type_name(act));
  if (n % block != 0) fail(Errc::invalid_argument, shape + ": n is not a multiple of " + std::to_string(block));
  need_bytes(x, n * 4, "x", shape);
  need_bytes(codes, n, "codes", shape);
  need_bytes(scales, n / block * 4, "scales", shape);
  const Push push{static_cast<uint32_t>(n / block), kind};
  seq.dispatch(pipeline("quantize_act", 3, sizeof(push)), {&x, &codes, &scales}, &push, sizeof(push),
               element_groups(n / block));
}

}  // namespace hearth::gpu
