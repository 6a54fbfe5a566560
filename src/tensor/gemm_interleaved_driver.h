// The loop around an interleaved-layout tile kernel, shared by every SIMD tier (each tier's file
// includes it and compiles its own copy with its own flags; internal linkage keeps the copies
// apart). K describes one weight type on one tier:
//   K::X                 activation block type (BlockQ8_0 or BlockQ8_K)
//   K::kBlock, K::kInts  elements per block; integers per block from terms()
//   K::kTokens           tokens per tile (what the tier's registers hold)
//   K::terms(x, nb, ints, floats)   per-token block terms, computed once per tile
//   K::tile<C>(w, nb, xr, ints, floats, y, ys)   one 16-row group against C <= kTokens tokens
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "tensor/interleave.h"

namespace hearth::tensor {
namespace {

// One token streams the weights from DRAM once: a tile asks for each block's lines this far on.
// Measured on Zen 5, AVX-512 (Q4_0 tg128: 512 B 61, 1 KiB 62, 2 KiB 67, 4 KiB 70, 8 KiB 68 t/s;
// Q8_0 flat at 41).
constexpr size_t kPrefetchAhead = 4096;

inline void prefetch_block(const uint8_t* p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + kPrefetchAhead + off, 0, 3);
}

template <class K, int C = K::kTokens>
inline void run_tile(int cw, const uint8_t* wg, int64_t nb, const typename K::X* const* xr, const int32_t* ints,
                     const float* floats, float* y, int64_t ys) {
  if constexpr (C > 1) {
    if (cw < C) {
      run_tile<K, C - 1>(cw, wg, nb, xr, ints, floats, y, ys);
      return;
    }
  }
  K::template tile<C>(wg, nb, xr, ints, floats, y, ys);
}

template <class K>
void gemm_interleaved(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc,
                      float* y, int64_t ys) {
  const int64_t nb = n / K::kBlock, ng = nr / kInterleaveRows;
  const size_t group_bytes = kInterleaveRows * ws;
  thread_local std::vector<int32_t> ints;
  thread_local std::vector<float> floats;
  ints.resize(static_cast<size_t>(K::kTokens * nb * std::max<int64_t>(K::kInts, 1)));
  floats.resize(static_cast<size_t>(K::kTokens * nb));
  // Tokens outer: a tile's activations stay in L1 while the item's weight groups (sized by
  // matmul to fit L2) pass over them.
  for (int64_t c0 = 0; c0 < nc; c0 += K::kTokens) {
    const int cw = static_cast<int>(std::min<int64_t>(K::kTokens, nc - c0));
    const typename K::X* xr[K::kTokens];
    for (int c = 0; c < cw; ++c) {
      xr[c] = reinterpret_cast<const typename K::X*>(static_cast<const uint8_t*>(x) + static_cast<size_t>(c0 + c) * xs);
      K::terms(xr[c], nb, ints.data() + c * nb * K::kInts, floats.data() + c * nb);
    }
    for (int64_t g = 0; g < ng; ++g) {
      const uint8_t* wg = static_cast<const uint8_t*>(w) + static_cast<size_t>(g) * group_bytes;
      run_tile<K>(cw, wg, nb, xr, ints.data(), floats.data(), y + c0 * ys + g * kInterleaveRows, ys);
    }
  }
}

}  // namespace
}  // namespace hearth::tensor
