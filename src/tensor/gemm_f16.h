// F16 weights x F16 activations in row layout, written once against a vector type V from
// simd_vec.h (gemm_avx2.cpp: Ymm; gemm_zmm.h: Zmm). Each (row, token) result keeps the 16 lane
// classes of the F16 dot (dot_float.h) and reduces them the same way, so a result does not depend
// on the tiling or the width: generation, batches and every SIMD tier agree bit for bit.
// Activations are widened to F32 once per token group (exact), weights once per row and step.
#pragma once
#include "tensor/dot_float.h"
#include "tensor/gemm_tiled.h"

namespace hearth::tensor::simd {
namespace {

template <class V>
struct F16Rows {
  using F = typename V::F;
  static constexpr int P = kClassRegs<V>;  // registers per 16 elements
  static constexpr int L = V::kLanes;

  // Rows x tokens per tile and tokens per widened group, measured per register file. 16
  // registers (Zen 5, pp512 of the F16 1B preset, alternated medians): 3 x 4 in two passes 77 t/s,
  // 3 x 2 in one pass 58, 4 x 3 49 and 2 x 6 45 (spills, or loads folded into the FMAs). 32
  // registers: 4 x 4 in one pass.
  static constexpr int kRows = V::kRegisters >= 32 ? 4 : 3;
  static constexpr int kCols = 4;
  static constexpr int64_t kGroup = V::kRegisters >= 32 ? 24 : 16;

  // One of the P registers of every 16 elements (p = part) over the tile's rows: R x C
  // accumulators, the R converted weights in registers, one activation load per token for R FMAs.
  template <int R, int C>
  static void part_pass(int p, const uint16_t* const* wr, const float* const* xc, int64_t n16, F (&acc)[R][C]) {
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) acc[r][c] = V::fzero();
    for (int64_t i = p * L; i < n16; i += 16) {
      F wv[R];
      for (int r = 0; r < R; ++r) wv[r] = V::fload(wr[r] + i);
      for (int c = 0; c < C; ++c) {
        F xv = V::fload(xc[c] + i);
        // Held in a register: GCC otherwise folds the load into each of the R FMAs (3 loads for
        // one on 16 registers, which cost AVX2 F16 pp256 a third: 69 -> 46 t/s).
        __asm__("" : "+x"(xv));
        for (int r = 0; r < R; ++r) acc[r][c] = V::fmadd(wv[r], xv, acc[r][c]);
      }
    }
  }

  template <int R, int C>
  struct Tile {
    // Not inlined: inside tiled()'s edge dispatch GCC folded the activation loads into the FMAs
    // (12 loads per chunk instead of 4 on 16 registers), which cost a third of the speed.
    __attribute__((noinline)) static void run(int64_t r0, int64_t c0, const gemm::Args& a, const float* xf, int64_t n16) {
      const uint16_t* wr[R];
      for (int r = 0; r < R; ++r) wr[r] = gemm::block_row<uint16_t>(a.w, a.ws, r0 + r);
      const float* xc[C];
      for (int c = 0; c < C; ++c) xc[c] = xf + static_cast<size_t>(c0 + c) * a.n;
      F acc[P][R][C];
      if constexpr (C == 1) {
        // One token streams the weights from memory: every part in one pass, and the spot of the
        // rows the next tile reads requested ahead (the hardware prefetcher alone left the core
        // waiting on loads).
        for (int p = 0; p < P; ++p)
          for (int r = 0; r < R; ++r) acc[p][r][0] = V::fzero();
        for (int64_t i = 0; i < n16; i += 16)
          for (int r = 0; r < R; ++r) {
            if (i % 32 == 0) _mm_prefetch(reinterpret_cast<const char*>(wr[r] + i) + R * a.ws, _MM_HINT_T0);
            for (int p = 0; p < P; ++p)
              acc[p][r][0] = V::fmadd(V::fload(wr[r] + i + p * L), V::fload(xc[0] + i + p * L), acc[p][r][0]);
          }
      } else {
        // The parts are independent sums, so a tile takes them in P passes over its rows (a few
        // KiB, in L1 for the next pass): one pass over two parts would need 2RC accumulators.
        for (int p = 0; p < P; ++p) part_pass<R, C>(p, wr, xc, n16, acc[p]);
      }
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
          F parts[P];
          for (int p = 0; p < P; ++p) parts[p] = acc[p][r][c];
          float sum = reduce_classes<V>(parts);
          for (int64_t i = n16; i < a.n; ++i) sum = std::fma(fp16_to_fp32(wr[r][i]), xc[c][i], sum);  // as the dot
          a.y[(c0 + c) * a.ys + r0 + r] = sum;
        }
    }
  };

  static void matmul(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc, float* y,
                   int64_t ys) {
    gemm::f16_widened<Tile, kRows, kCols, kGroup>(n, w, ws, nr, x, xs, nc, y, ys, widen_f16<V>);
  }
};

}  // namespace
}  // namespace hearth::tensor::simd
