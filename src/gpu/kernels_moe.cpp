// The device's share of a mixture-of-experts layer: the host routes (model::moe_route) and
// uploads the routing as one uint32 buffer; these gather the routed rows, add per-expert biases
// and mix the experts' outputs back into one row per token. The experts' matmuls are plain
// matmuls with a MatmulSlice (kernels_matmul.cpp).
#include <algorithm>
#include <string>

#include "core/error.h"
#include "gpu/kernel_checks.h"
#include "gpu/kernels.h"

namespace hearth::gpu {
namespace {

using namespace detail;

struct GatherPush {
  uint32_t n, dim, source;
};
struct ExpertBiasPush {
  uint32_t n, dim, expert, experts;
};
struct CombinePush {
  uint32_t n, dim, k, row, weight;
};

// Checks the routing's shape and that `routes` holds the arrays at their offsets; returns the
// number of routed rows (tokens * k).
int64_t routed_rows(const Buffer& routes, const MoeRoutes& r, int64_t dim, const char* op, std::string& shape) {
  need_positive(r.tokens, "tokens", op);
  need_positive(r.k, "k", op);
  need_positive(dim, "dim", op);
  for (const int64_t off : {r.source, r.expert, r.row, r.weight}) need_nonnegative(off, "a routing offset", op);
  const int64_t rows = r.tokens * r.k;
  need_u32(rows, dim, op);
  shape = std::string(op) + " of " + std::to_string(r.tokens) + " tokens x " + std::to_string(r.k) + " experts x " +
          std::to_string(dim);
  const int64_t end = std::max({r.source, r.expert, r.row, r.weight}) + rows;
  need_u32(1, end, op);
  need_bytes(routes, end * 4, "routes", shape);
  return rows;
}

}  // namespace

void Kernels::moe_gather(Sequence& seq, const Buffer& src, const Buffer& routes, const MoeRoutes& r, const Buffer& dst,
                         int64_t dim) const {
  std::string shape;
  const int64_t rows = routed_rows(routes, r, dim, "gpu moe_gather", shape);
  need_bytes(src, r.tokens * dim * 4, "src", shape);
  need_bytes(dst, rows * dim * 4, "dst", shape);
  const GatherPush push{u32(rows * dim), u32(dim), u32(r.source)};
  seq.dispatch(pipeline("moe_gather", 3, sizeof(push)), {&src, &routes, &dst}, &push, sizeof(push),
               element_groups(rows * dim));
}

void Kernels::moe_add_bias(Sequence& seq, const Buffer& x, const Buffer& bias, const Buffer& routes,
                           const MoeRoutes& r, int64_t dim) const {
  std::string shape;
  const int64_t rows = routed_rows(routes, r, dim, "gpu moe_add_bias", shape);
  need_bytes(x, rows * dim * 4, "x", shape);
  need_positive(r.experts, "experts", "gpu moe_add_bias");
  need_u32(r.experts, dim, "gpu moe_add_bias");
  need_bytes(bias, r.experts * dim * 4, "bias", shape + " (" + std::to_string(r.experts) + " experts)");
  const ExpertBiasPush push{u32(rows * dim), u32(dim), u32(r.expert), u32(r.experts)};
  seq.dispatch(pipeline("moe_add_bias", 3, sizeof(push)), {&x, &bias, &routes}, &push, sizeof(push),
               element_groups(rows * dim));
}

void Kernels::moe_combine(Sequence& seq, const Buffer& src, const Buffer& routes, const MoeRoutes& r, const Buffer& y,
                          int64_t dim) const {
  std::string shape;
  const int64_t rows = routed_rows(routes, r, dim, "gpu moe_combine", shape);
  need_bytes(src, rows * dim * 4, "src", shape);
  need_bytes(y, r.tokens * dim * 4, "y", shape);
  const CombinePush push{u32(r.tokens * dim), u32(dim), u32(r.k), u32(r.row), u32(r.weight)};
  seq.dispatch(pipeline("moe_combine", 3, sizeof(push)), {&src, &routes, &y}, &push, sizeof(push),
               element_groups(r.tokens * dim));
}

}  // namespace hearth::gpu
