#include "tensor/ops.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "tensor/dispatch.h"

namespace hearth::tensor {
namespace {

const TypeKernels& type_kernels(const KernelTable& table, Type type, const char* what) {
  const TypeTraits* tr = traits(static_cast<uint32_t>(type));
  if (!tr || static_cast<uint32_t>(type) >= kMaxTypeId)
    fail(Errc::unsupported, std::string(what) + ": unknown tensor type id " +
                                std::to_string(static_cast<uint32_t>(type)));
  const TypeKernels& k = table[static_cast<uint32_t>(type)];
  if (!k.to_float)
    fail(Errc::unsupported, std::string(what) + ": tensor type " + std::string(tr->name) + " is not supported");
  return k;
}

void check_multiple(Type type, int64_t n, const char* what) {
  const auto bs = static_cast<int64_t>(traits(type).block_size);
  if (n < 0 || n % bs != 0)
    fail(Errc::invalid_argument, std::string(what) + ": " + std::to_string(n) + " elements is not a multiple of " +
                                     std::string(type_name(type)) + "'s block size " + std::to_string(bs));
}

// Rows of W handled together so that, for a batch, a block of W rows stays in cache while every
// activation row passes over it.
constexpr int64_t kRowBlock = 16;
// Weight bytes per work item of a batched matmul (well inside a Zen 4/5 core's 1 MiB L2).
constexpr size_t kChunkBytes = 256 * 1024;
// The interleaved kernels recompute per-token terms for every work item and read their weights
// in one stream, so larger items pay: Q8_0 pp512 rose 6-8% at 512 KiB (1 MiB: no further gain).
constexpr size_t kInterleavedChunkBytes = 512 * 1024;

// Bytes from one weight row to the next; in the interleaved layout, a 16-row group's bytes / 16
// (only whole groups are ever addressed).
size_t weight_stride(const MatmulOut& o, int64_t cols) {
  if (o.layout == Layout::interleaved16) return interleaved_size(o.type, kInterleaveRows, cols) / kInterleaveRows;
  return row_size(o.type, cols);
}

}  // namespace

void dequantize_row(Type type, const void* src, float* dst, int64_t n) {
  const TypeKernels& k = type_kernels(kernel_table(Isa::scalar), type, "dequantize_row");
  check_multiple(type, n, "dequantize_row");
  k.to_float(src, dst, n);
}

void quantize_row(Type type, const float* src, void* dst, int64_t n) {
  const TypeKernels& k = type_kernels(kernel_table(Isa::scalar), type, "quantize_row");
  check_multiple(type, n, "quantize_row");
  if (!k.from_float_ref)
    fail(Errc::unsupported, "quantize_row: no quantizer for tensor type " + std::string(type_name(type)));
  k.from_float_ref(src, dst, n);
}

void get_row(const Kernels& kern, const void* W, Type type, int64_t cols, int64_t row, float* dst, Layout layout) {
  const TypeKernels& k = type_kernels(kern.table, type, "get_row");
  check_multiple(type, cols, "get_row");
  if (row < 0) fail(Errc::out_of_range, "get_row: negative row " + std::to_string(row));
  if (layout == Layout::interleaved16) {
    thread_local std::vector<uint8_t> one;
    one.resize(row_size(type, cols));
    deinterleave_row(type, cols, W, row, one.data());
    k.to_float(one.data(), dst, cols);
    return;
  }
  const uint8_t* base = static_cast<const uint8_t*>(W) + static_cast<size_t>(row) * row_size(type, cols);
  k.to_float(base, dst, cols);
}

void matmul(const Kernels& kern, const void* W, Type type, int64_t rows, int64_t cols, const float* X, int64_t n,
            float* Y, ThreadPool* pool) {
  const MatmulOut one{W, type, rows, Y};
  matmul_shared(kern, std::span<const MatmulOut>(&one, 1), cols, X, n, pool);
}

void matmul_shared(const Kernels& kern, std::span<const MatmulOut> outs, int64_t cols, const float* X, int64_t n,
                   ThreadPool* pool) {
  if (outs.empty()) return;
  if (n < 0) fail(Errc::invalid_argument, "matmul: negative rows or batch size");
  const KernelTable& table = kern.table;
  const Type xt = type_kernels(table, outs[0].type, "matmul").vec_dot_type;
  for (const MatmulOut& o : outs) {
    const TypeKernels& k = type_kernels(table, o.type, "matmul");
    check_multiple(o.type, cols, "matmul");
    if (o.rows < 0) fail(Errc::invalid_argument, "matmul: negative rows or batch size");
    if (!k.vec_dot) fail(Errc::unsupported, "matmul: " + std::string(type_name(o.type)) + " is not a weight type");
    if (o.layout == Layout::interleaved16 && (!k.gemm_interleaved || o.rows % kInterleaveRows != 0))
      fail(Errc::invalid_argument, "matmul: " + std::to_string(o.rows) + " rows of " + std::string(type_name(o.type)) +
                                       " cannot be in the interleaved layout");
    if (k.vec_dot_type != xt) {
      // Products that convert activations differently cannot share one conversion.
      for (const MatmulOut& p : outs) matmul_shared(kern, std::span<const MatmulOut>(&p, 1), cols, X, n, pool);
      return;
    }
  }
  if (n == 0) return;
  check_multiple(xt, cols, "matmul (activation type)");

  // Convert the activations once, before the split, so every thread reads the same copy.
  const uint8_t* xq = reinterpret_cast<const uint8_t*>(X);
  size_t x_stride = static_cast<size_t>(cols) * sizeof(float);
  thread_local std::vector<uint8_t> buffer;
  if (xt != Type::F32) {
    const from_float_fn conv = table[static_cast<uint32_t>(xt)].from_float_act;
    if (!conv) fail(Errc::internal, "matmul: no activation converter for " + std::string(type_name(xt)));
    x_stride = row_size(xt, cols);
    buffer.resize(x_stride * static_cast<size_t>(n));
    uint8_t* out = buffer.data();
    auto convert = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) conv(X + i * cols, out + i * x_stride, cols);
    };
    if (pool && n > 1) pool->parallel_for(n, convert);
    else convert(0, n);
    xq = buffer.data();
  }

  // Work items are row ranges of one output. For a batch a range's weights (kChunkBytes) stay in
  // L2 while every token passes over them; for one token small ranges let the faster thread take
  // more of them, so both finish together even when the other core is busy with something else.
  // Several outputs go into one list, so the pool is woken once for all of them.
  const int nth = pool ? pool->size() : 1;
  struct Item {
    const MatmulOut* o;
    int64_t r0, r1;
  };
  thread_local std::vector<Item> items;
  items.clear();
  for (const MatmulOut& o : outs) {
    if (o.rows == 0) continue;
    const size_t w_stride = weight_stride(o, cols);
    int64_t chunk = o.rows / (static_cast<int64_t>(nth) * 8);
    const size_t item_bytes = o.layout == Layout::interleaved16 ? kInterleavedChunkBytes : kChunkBytes;
    if (n > 1) chunk = std::min<int64_t>(chunk, static_cast<int64_t>(item_bytes / std::max<size_t>(w_stride, 1)));
    // Interleaved weights split only at whole 16-row groups.
    const int64_t unit = o.layout == Layout::interleaved16 ? kInterleaveRows : 4;
    chunk = std::clamp<int64_t>(chunk / unit * unit, unit, std::max<int64_t>(unit, o.rows));
    for (int64_t r0 = 0; r0 < o.rows; r0 += chunk) items.push_back({&o, r0, std::min(o.rows, r0 + chunk)});
  }
  const int64_t n_items = static_cast<int64_t>(items.size());
  const Item* list = items.data();

  auto do_item = [&](const Item& it) {
    const MatmulOut& o = *it.o;
    const TypeKernels& k = table[static_cast<uint32_t>(o.type)];
    const uint8_t* w = static_cast<const uint8_t*>(o.W);
    const size_t w_stride = weight_stride(o, cols);
    const int64_t r0 = it.r0, r1 = it.r1, rows = o.rows;
    if (o.layout == Layout::interleaved16) {
      k.gemm_interleaved(cols, w + static_cast<size_t>(r0) * w_stride, w_stride, r1 - r0, xq, x_stride, n, o.Y + r0,
                         rows);
      return;
    }
    if (k.gemm) {
      k.gemm(cols, w + static_cast<size_t>(r0) * w_stride, w_stride, r1 - r0, xq, x_stride, n, o.Y + r0, rows);
      return;
    }
    for (int64_t rb = r0; rb < r1; rb += kRowBlock) {
      const int64_t re = std::min(r1, rb + kRowBlock);
      for (int64_t i = 0; i < n; ++i) {
        const uint8_t* xi = xq + static_cast<size_t>(i) * x_stride;
        float* yi = o.Y + i * rows;
        for (int64_t r = rb; r < re; ++r) yi[r] = k.vec_dot(cols, w + static_cast<size_t>(r) * w_stride, xi);
      }
    }
  };
  if (nth > 1 && n_items > 1) {
    std::atomic<int64_t> next{0};
    pool->run([&](int, int) {
      for (int64_t ci; (ci = next.fetch_add(1, std::memory_order_relaxed)) < n_items;) do_item(list[ci]);
    });
  } else {
    for (int64_t ci = 0; ci < n_items; ++ci) do_item(list[ci]);
  }
}

}  // namespace hearth::tensor
