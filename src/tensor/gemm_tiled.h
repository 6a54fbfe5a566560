// The loop around register tiles shared by every tier's row-layout matmul kernels: a tile of
// R weight rows x C tokens is one compile-time instantiation, edges use the largest smaller one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace hearth::tensor::gemm {
// Internal linkage: every tier's files include this with their own ISA flags (see fp16.h).
namespace {

template <typename B>
inline const B* block_row(const void* base, size_t stride, int64_t row) {
  return reinterpret_cast<const B*>(static_cast<const uint8_t*>(base) + static_cast<size_t>(row) * stride);
}

// One matmul call's operands (see gemm_fn in kernels.h).
struct Args {
  int64_t n;
  const void* w;
  size_t ws;
  const void* x;
  size_t xs;
  float* y;
  int64_t ys;
};

// Calls Tile<R, C>::run for every tile of an nr x nc product: full R x C tiles, then the edges
// with the largest smaller instantiation. Tokens are the outer loop so a tile's activations stay
// in L1 while the weight rows (a few tens, sized by the caller to fit L2) pass over them.
template <template <int, int> class Tile, int R, int C, typename... A>
void tiled(int64_t nr, int64_t nc, A... args) {
  static_assert(R >= 1 && R <= 4 && C >= 1 && C <= 4, "the edge switches below pick tiles of at most 4");
  for (int64_t c = 0; c < nc;) {
    const int64_t cl = nc - c;
    const int cw = cl >= C ? C : static_cast<int>(cl);
    for (int64_t r = 0; r < nr;) {
      const int64_t rl = nr - r;
      const int rw = rl >= R ? R : static_cast<int>(rl);
      // Dispatch on (rw, cw) to a compile-time tile; edges are rare, so a switch is enough.
      auto go = [&](auto rt, auto ct) { Tile<decltype(rt)::value, decltype(ct)::value>::run(r, c, args...); };
      auto pick_c = [&](auto rt) {
        switch (cw) {
          case 1: go(rt, std::integral_constant<int, 1>{}); break;
          case 2: if constexpr (C >= 2) go(rt, std::integral_constant<int, 2>{}); break;
          case 3: if constexpr (C >= 3) go(rt, std::integral_constant<int, 3>{}); break;
          default: if constexpr (C >= 4) go(rt, std::integral_constant<int, C>{}); break;
        }
      };
      if constexpr (R == 1) {
        pick_c(std::integral_constant<int, 1>{});
      } else {
        switch (rw) {
          case 1: pick_c(std::integral_constant<int, 1>{}); break;
          case 2: if constexpr (R >= 2) pick_c(std::integral_constant<int, 2>{}); break;
          case 3: if constexpr (R >= 3) pick_c(std::integral_constant<int, 3>{}); break;
          default: if constexpr (R >= 4) pick_c(std::integral_constant<int, R>{}); break;
        }
      }
      r += rw;
    }
    c += cw;
  }
}

// F16 weights x F16 activations on any tier: a group of kTokens activation rows is widened to F32
// once (exact; `widen(src, dst, n)` is the tier's conversion: a work item of few rows widens
// every token again, and the portable conversion there cost AVX2 F16 pp128 about 40%), then Tile sweeps every weight row
// over it: R x C tiles for several tokens, 4 x 1 for one. Tile::run gets (row, token, args, the
// widened rows, n rounded down to 16).
template <template <int, int> class Tile, int R, int C, int64_t kTokens, typename Widen>
void f16_widened(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc, float* y,
                 int64_t ys, Widen widen) {
  thread_local std::vector<float> xf;
  const int64_t n16 = n - n % 16;
  for (int64_t c0 = 0; c0 < nc; c0 += kTokens) {
    const int64_t cn = nc - c0 < kTokens ? nc - c0 : kTokens;
    xf.resize(static_cast<size_t>(cn * n));
    for (int64_t c = 0; c < cn; ++c) widen(block_row<uint16_t>(x, xs, c0 + c), xf.data() + c * n, n);
    const Args a{n, w, ws, nullptr, 0, y + c0 * ys, ys};
    if (cn == 1) tiled<Tile, 4, 1>(nr, cn, a, static_cast<const float*>(xf.data()), n16);
    else tiled<Tile, R, C>(nr, cn, a, static_cast<const float*>(xf.data()), n16);
  }
}

}  // namespace
}  // namespace hearth::tensor::gemm
