// Register-tiled matmul kernels for the AVX2 path (row layout). As on AVX-512, each result is
// computed exactly as the tier's vec_dot computes it (same lanes, same float order), so a result
// does not depend on the tiling. The quantized types use the interleaved layout on this tier
// (gemm_interleaved_avx2.cpp); F16 stays in rows and is tiled here.
#include <immintrin.h>

#include "tensor/fp16.h"
#include "tensor/gemm_tiled.h"
#include "tensor/kernels.h"
#include "tensor/simd_avx.h"

namespace hearth::tensor {
namespace {

using gemm::Args;
using gemm::block_row;
using gemm::tiled;

// ---- F16 weights x F16 activations -----------------------------------------------------------
// The AVX2 f16_dot keeps two 8-lane accumulators per pair (elements 0-7 and 8-15 of every 16).
// Those are independent sums, so a prompt tile takes them in two passes over its rows (a few KiB,
// in L1 for the second pass): per pass, 3 rows x 4 tokens make 12 accumulators, the 3 converted
// weights stay in registers, and each token's activation is loaded once for 3 FMAs, so a chunk is
// 3 conversions and 7 loads for 12 FMAs. One pass over both halves needs 2RC accumulators and
// left room for 3 x 2 tiles only, with 18 loads and 6 conversions per 12 FMAs. One token keeps
// the one-pass 4 x 1 tile (bandwidth-bound). Activations are widened to F32 once per token group
// (exact). pp512 of the F16 1B preset on Zen 5, alternated medians: one-pass 3 x 2 58, two-pass
// 3 x 4 77, 4 x 3 49 and 2 x 6 45 (spills, or loads folded into the FMAs).
template <int R, int C>
struct F16Tile {
  template <int kHalf>
  static void half_pass(const uint16_t* const* wr, const float* const* xc, int64_t n16, __m256 (&acc)[R][C]) {
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
    for (int64_t i = kHalf; i < n16; i += 16) {
      __m256 wv[R];
      for (int r = 0; r < R; ++r) wv[r] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr[r] + i)));
      for (int c = 0; c < C; ++c) {
        const __m256 xv = _mm256_loadu_ps(xc[c] + i);
        for (int r = 0; r < R; ++r) acc[r][c] = _mm256_fmadd_ps(wv[r], xv, acc[r][c]);
      }
    }
  }
  // Not inlined: inside tiled()'s edge dispatch GCC folded the activation loads into the FMAs
  // (12 loads per chunk instead of 4), which cost a third of the speed.
  __attribute__((noinline)) static void run(int64_t r0, int64_t c0, const Args& a, const float* xf, int64_t n16) {
    const uint16_t* wr[R];
    for (int r = 0; r < R; ++r) wr[r] = block_row<uint16_t>(a.w, a.ws, r0 + r);
    const float* xc[C];
    for (int c = 0; c < C; ++c) xc[c] = xf + static_cast<size_t>(c0 + c) * a.n;
    __m256 lo[R][C], hi[R][C];
    if constexpr (C == 1) {
      for (int r = 0; r < R; ++r) lo[r][0] = hi[r][0] = _mm256_setzero_ps();
      for (int64_t i = 0; i < n16; i += 16)
        for (int r = 0; r < R; ++r) {
          const __m256 x0 = _mm256_loadu_ps(xc[0] + i), x1 = _mm256_loadu_ps(xc[0] + i + 8);
          lo[r][0] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr[r] + i))), x0, lo[r][0]);
          hi[r][0] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr[r] + i + 8))), x1, hi[r][0]);
        }
    } else {
      // The two halves of every 16 are independent sums, so they are taken in two passes over the
      // tile's rows (which stay in L1): R x C accumulators per pass, R converted weights in
      // registers, one activation load per token and R FMAs on it.
      half_pass<0>(wr, xc, n16, lo);
      half_pass<8>(wr, xc, n16, hi);
    }
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) {
        float sum = simd::hsum256(_mm256_add_ps(lo[r][c], hi[r][c]));
        for (int64_t i = n16; i < a.n; ++i) sum += fp16_to_fp32(wr[r][i]) * xc[c][i];
        a.y[(c0 + c) * a.ys + r0 + r] = sum;
      }
  }
};

void gemm_f16(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc, float* y,
              int64_t ys) {
  gemm::f16_widened<F16Tile, 3, 4, 16>(n, w, ws, nr, x, xs, nc, y, ys, [](const uint16_t* src, float* dst, int64_t len) {
    int64_t i = 0;
    for (; i + 8 <= len; i += 8)
      _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    for (; i < len; ++i) dst[i] = fp16_to_fp32(src[i]);
  });
}

}  // namespace

void register_gemm_avx2(KernelTable& t) { entry(t, Type::F16).gemm = gemm_f16; }

}  // namespace hearth::tensor
