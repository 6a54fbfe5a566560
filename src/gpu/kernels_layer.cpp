// The kernels of a transformer layer other than the matrix products: elementwise arithmetic,
// RoPE, the KV cache store, attention and the gated activations (shaders/<name>.comp each).
#include <algorithm>
#include <string>

#include "core/error.h"
#include "gpu/kernel_checks.h"
#include "gpu/kernels.h"

namespace hearth::gpu {
namespace {

using namespace detail;

// Push-constant blocks, laid out as the shaders declare them (4-byte members only).
struct AddPush {
  uint32_t n;
};
struct AddBiasPush {
  uint32_t n, dim;
};
struct ScalePush {
  uint32_t n;
  float s;
};
struct SoftcapPush {
  uint32_t n;
  float cap, inv_cap;
};
struct CopyColsPush {
  uint32_t rows, cols, src_stride, src_col0, dst_stride;
};
struct RopePush {
  uint32_t rows, n_heads, head_dim, n_rot, neox;
};
struct KvStorePush {
  uint32_t src_row0, pos0, rows, dim, f16;
};
struct AttentionPush {
  uint32_t n_tokens, q_row0, pos0, n_head, n_head_kv, head_dim_k, head_dim_v, window;
  float scale, softcap, inv_softcap;
  uint32_t k_f16, v_f16, has_sinks;
};
struct GluPush {
  uint32_t n, kind;
};

constexpr int64_t kMaxHeadDim = 256;  // MAX_HEAD_DIM in attention.comp

std::string str(int64_t v) { return std::to_string(v); }

// Bytes of n cache elements of type t (F32 or F16, checked before).
int64_t cache_bytes(tensor::Type t, int64_t n) { return n * (t == tensor::Type::F16 ? 2 : 4); }

void need_cache_type(tensor::Type t, const char* which, const char* op) {
  if (t != tensor::Type::F32 && t != tensor::Type::F16)
    fail(Errc::unsupported, std::string(op) + ": " + which + " cache of type " + std::string(tensor::type_name(t)) +
                                " (F32 and F16 have a kernel)");
}

}  // namespace

void Kernels::add(Sequence& seq, const Buffer& x, const Buffer& y, int64_t n) const {
  need_positive(n, "n", "gpu add");
  need_u32(1, n, "gpu add");
  const std::string shape = "gpu add of " + str(n);
  need_bytes(x, n * 4, "x", shape);
  need_bytes(y, n * 4, "y", shape);
  const AddPush push{u32(n)};
  seq.dispatch(pipeline("add", 2, sizeof(push)), {&x, &y}, &push, sizeof(push), element_groups(n));
}

void Kernels::add_bias(Sequence& seq, const Buffer& x, const Buffer& b, int64_t rows, int64_t dim) const {
  need_positive(rows, "rows", "gpu add_bias");
  need_positive(dim, "dim", "gpu add_bias");
  need_u32(rows, dim, "gpu add_bias");
  const std::string shape = "gpu add_bias " + str(rows) + " x " + str(dim);
  need_bytes(x, rows * dim * 4, "x", shape);
  need_bytes(b, dim * 4, "b", shape);
  const AddBiasPush push{u32(rows * dim), u32(dim)};
  seq.dispatch(pipeline("add_bias", 2, sizeof(push)), {&x, &b}, &push, sizeof(push), element_groups(rows * dim));
}

void Kernels::scale(Sequence& seq, const Buffer& x, float s, int64_t n) const {
  need_positive(n, "n", "gpu scale");
  need_u32(1, n, "gpu scale");
  need_bytes(x, n * 4, "x", "gpu scale of " + str(n));
  const ScalePush push{u32(n), s};
  seq.dispatch(pipeline("scale", 1, sizeof(push)), {&x}, &push, sizeof(push), element_groups(n));
}

void Kernels::softcap(Sequence& seq, const Buffer& x, float cap, int64_t n) const {
  need_positive(n, "n", "gpu softcap");
  need_u32(1, n, "gpu softcap");
  if (!(cap > 0.0f)) fail(Errc::invalid_argument, "gpu softcap: cap must be positive, not " + std::to_string(cap));
  need_bytes(x, n * 4, "x", "gpu softcap of " + str(n));
  const SoftcapPush push{u32(n), cap, 1.0f / cap};  // the CPU multiplies by 1 / cap too
  seq.dispatch(pipeline("softcap", 1, sizeof(push)), {&x}, &push, sizeof(push), element_groups(n));
}

void Kernels::copy_cols(Sequence& seq, const Buffer& src, int64_t src_stride, int64_t src_col0, const Buffer& dst,
                        int64_t dst_stride, int64_t rows, int64_t cols) const {
  const char* op = "gpu copy_cols";
  need_positive(rows, "rows", op);
  need_positive(cols, "cols", op);
  need_nonnegative(src_col0, "src_col0", op);
  const std::string shape = "gpu copy_cols of " + str(rows) + " x " + str(cols) + " from columns " + str(src_col0) +
                            ".. of rows of " + str(src_stride) + " to rows of " + str(dst_stride);
  // Columns past a row's end would wrap into the next row: a caller's mistake.
  if (src_col0 + cols > src_stride || cols > dst_stride)
    fail(Errc::invalid_argument, shape + ": columns outside the rows");
  need_u32(rows, src_stride, op);
  need_u32(rows, dst_stride, op);
  need_bytes(src, ((rows - 1) * src_stride + src_col0 + cols) * 4, "src", shape);
  need_bytes(dst, ((rows - 1) * dst_stride + cols) * 4, "dst", shape);
  const CopyColsPush push{u32(rows), u32(cols), u32(src_stride), u32(src_col0), u32(dst_stride)};
  seq.dispatch(pipeline("copy_cols", 2, sizeof(push)), {&src, &dst}, &push, sizeof(push), element_groups(rows * cols));
}

void Kernels::rope(Sequence& seq, const Buffer& x, const Buffer& table, int64_t rows, int64_t n_heads, int64_t head_dim,
                   int64_t n_rot, bool neox) const {
  const char* op = "gpu rope";
  need_positive(rows, "rows", op);
  need_positive(n_heads, "n_heads", op);
  need_positive(head_dim, "head_dim", op);
  need_positive(n_rot, "n_rot", op);
  const std::string shape = "gpu rope " + str(rows) + " x " + str(n_heads) + " heads of " + str(head_dim) + ", n_rot " +
                            str(n_rot);
  if (n_rot % 2 != 0 || n_rot > head_dim)
    fail(Errc::invalid_argument, shape + ": n_rot must be even and at most head_dim");
  need_u32(rows, n_heads * head_dim, op);
  need_bytes(x, rows * n_heads * head_dim * 4, "x", shape);
  need_bytes(table, rows * n_rot * 4, "table", shape);
  const RopePush push{u32(rows), u32(n_heads), u32(head_dim), u32(n_rot), neox ? 1u : 0u};
  seq.dispatch(pipeline("rope", 2, sizeof(push)), {&x, &table}, &push, sizeof(push),
               element_groups(rows * n_heads * (n_rot / 2)));
}

void Kernels::kv_store(Sequence& seq, const Buffer& src, int64_t src_row0, const Buffer& cache, tensor::Type cache_type,
                       int64_t pos0, int64_t rows, int64_t dim) const {
  const char* op = "gpu kv_store";
  need_cache_type(cache_type, "a", op);
  need_positive(rows, "rows", op);
  need_positive(dim, "dim", op);
  need_nonnegative(src_row0, "src_row0", op);
  need_nonnegative(pos0, "pos0", op);
  const bool f16 = cache_type == tensor::Type::F16;
  const std::string shape = "gpu kv_store of " + str(rows) + " rows of " + str(dim) + " " +
                            std::string(tensor::type_name(cache_type)) + " at position " + str(pos0);
  // An F16 row of odd length would share a 32-bit word with the next, which another invocation
  // writes.
  if (f16 && dim % 2 != 0) fail(Errc::invalid_argument, shape + ": an F16 cache needs an even dim");
  need_u32(src_row0 + rows, dim, op);
  need_u32(pos0 + rows, dim, op);
  need_bytes(src, (src_row0 + rows) * dim * 4, "src", shape);
  need_bytes(cache, cache_bytes(cache_type, (pos0 + rows) * dim), "cache", shape);
  const KvStorePush push{u32(src_row0), u32(pos0), u32(rows), u32(dim), f16 ? 1u : 0u};
  seq.dispatch(pipeline("kv_store", 2, sizeof(push)), {&src, &cache}, &push, sizeof(push),
               element_groups(f16 ? rows * dim / 2 : rows * dim));
}

void Kernels::attention(Sequence& seq, const Buffer& q, const Buffer& k_cache, const Buffer& v_cache,
                        const Buffer* sinks, const Buffer& out, const AttentionShape& s) const {
  const char* op = "gpu attention";
  need_cache_type(s.k_type, "key", op);
  need_cache_type(s.v_type, "value", op);
  need_positive(s.n_tokens, "n_tokens", op);
  need_positive(s.n_head, "n_head", op);
  need_positive(s.n_head_kv, "n_head_kv", op);
  need_positive(s.head_dim_k, "head_dim_k", op);
  need_positive(s.head_dim_v, "head_dim_v", op);
  need_nonnegative(s.q_row0, "q_row0", op);
  need_nonnegative(s.pos0, "pos0", op);
  need_nonnegative(s.window, "window", op);
  const std::string shape = "gpu attention of " + str(s.n_tokens) + " rows at position " + str(s.pos0) + ", " +
                            str(s.n_head) + "/" + str(s.n_head_kv) + " heads of " + str(s.head_dim_k) + "/" +
                            str(s.head_dim_v) + ", cache " + std::string(tensor::type_name(s.k_type)) + "/" +
                            std::string(tensor::type_name(s.v_type));
  if (s.n_head % s.n_head_kv != 0)
    fail(Errc::invalid_argument, shape + ": n_head must be a multiple of n_head_kv");
  if (s.head_dim_k > kMaxHeadDim || s.head_dim_v > kMaxHeadDim)
    fail(Errc::unsupported, shape + ": head dimensions above " + str(kMaxHeadDim) + " have no kernel");
  const int64_t k_dim = s.n_head_kv * s.head_dim_k, v_dim = s.n_head_kv * s.head_dim_v;
  // F16 rows are read as 32-bit words and written whole by kv_store.
  if ((s.k_type == tensor::Type::F16 && k_dim % 2 != 0) || (s.v_type == tensor::Type::F16 && v_dim % 2 != 0))
    fail(Errc::invalid_argument, shape + ": F16 cache rows need an even length");
  const int64_t q_rows = s.q_row0 + s.n_tokens, kv_rows = s.pos0 + s.n_tokens;
  need_u32(q_rows, s.n_head * std::max(s.head_dim_k, s.head_dim_v), op);
  need_u32(kv_rows, std::max(k_dim, v_dim), op);
  need_u32(s.n_tokens, s.n_head, op);
  need_bytes(q, q_rows * s.n_head * s.head_dim_k * 4, "q", shape);
  need_bytes(out, q_rows * s.n_head * s.head_dim_v * 4, "out", shape);
  need_bytes(k_cache, cache_bytes(s.k_type, kv_rows * k_dim), "k_cache", shape);
  need_bytes(v_cache, cache_bytes(s.v_type, kv_rows * v_dim), "v_cache", shape);
  if (sinks) need_bytes(*sinks, s.n_head * 4, "sinks", shape);
  const bool capped = s.softcap > 0.0f;
  const AttentionPush push{u32(s.n_tokens), u32(s.q_row0), u32(s.pos0), u32(s.n_head), u32(s.n_head_kv),
                           u32(s.head_dim_k), u32(s.head_dim_v), u32(s.window), s.scale,
                           capped ? s.softcap : 0.0f, capped ? 1.0f / s.softcap : 0.0f,
                           s.k_type == tensor::Type::F16 ? 1u : 0u, s.v_type == tensor::Type::F16 ? 1u : 0u,
                           sinks ? 1u : 0u};
  // Without sinks the binding still needs a buffer: q stands in, unread.
  seq.dispatch(pipeline("attention", 5, sizeof(push)), {&q, &k_cache, &v_cache, sinks ? sinks : &q, &out}, &push,
               sizeof(push), row_groups(s.n_tokens * s.n_head));
}

void Kernels::glu(Sequence& seq, Glu kind, const Buffer& gate, const Buffer& up, int64_t n) const {
  need_positive(n, "n", "gpu glu");
  need_u32(1, n, "gpu glu");
  const std::string shape = "gpu glu of " + str(n);
  need_bytes(gate, n * 4, "gate", shape);
  need_bytes(up, n * 4, "up", shape);
  uint32_t k = 0;
  switch (kind) {
    case Glu::silu: k = 0; break;
    case Glu::gelu_f16: k = 1; break;
    case Glu::swiglu_oai: k = 2; break;
    default: fail(Errc::invalid_argument, "gpu glu: unknown activation " + str(static_cast<int64_t>(kind)));
  }
  const GluPush push{u32(n), k};
  seq.dispatch(pipeline("glu", 2, sizeof(push)), {&gate, &up}, &push, sizeof(push), element_groups(n));
}

void Kernels::round_activations(Sequence& seq, const Buffer& x, const Buffer& y, int64_t n, tensor::Type act,
                                const Buffer* sums) const {
  struct Push {
    uint32_t blocks, kind;
  };
  uint32_t kind = 0;
  int64_t block = 1;
  if (act == tensor::Type::Q8_0) block = 32;
  else if (act == tensor::Type::Q8_1) kind = sums ? 3 : 0, block = 32;
  else if (act == tensor::Type::Q8_K) kind = 1, block = 256;
  else if (act == tensor::Type::BF16) kind = 2;
  else fail(Errc::unsupported, "gpu round_activations: no rounding for " + std::string(tensor::type_name(act)));
  need_positive(n, "n", "gpu round_activations");
  need_u32(1, n, "gpu round_activations");
  const std::string shape = "gpu round_activations of " + str(n) + " " + std::string(tensor::type_name(act));
  if (n % block != 0) fail(Errc::invalid_argument, shape + ": n is not a multiple of " + str(block));
  need_bytes(x, n * 4, "x", shape);
  need_bytes(y, n * 4, "y", shape);
  if (sums) need_bytes(*sums, n / block * 4, "sums", shape);
  const Push push{u32(n / block), kind};
  // Without sums the binding still needs a buffer: y stands in, unwritten.
  seq.dispatch(pipeline("round_act", 3, sizeof(push)), {&x, &y, sums ? sums : &y}, &push, sizeof(push),
               element_groups(n / block));
}

}  // namespace hearth::gpu
