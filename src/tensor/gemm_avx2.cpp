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
// The AVX2 f16_dot keeps two 8-lane accumulators per pair (elements 0-7 and 8-15 of every 16),
// so a tile of R rows x C tokens holds 2RC accumulators: 3 x 2 for prompts (12 registers), 4 x 1
// for one token (the activation is loaded once for four rows). Activations are widened to F32 once
// per token group (exact), so the inner loop converts weights only, each half row just before its
// FMAs, which take the activations straight from memory: the 12 accumulators and one converted
// weight fit the 16 registers. (pp512 of the F16 1B preset on Zen 5, medians of 3 alternated runs:
// 2 x 2 with all four weight halves converted first 45, 2 x 3 50, 3 x 2 54 t/s.)
template <int R, int C>
struct F16Tile {
  static void run(int64_t r0, int64_t c0, const Args& a, const float* xf, int64_t n16) {
    const uint16_t* wr[R];
    for (int r = 0; r < R; ++r) wr[r] = block_row<uint16_t>(a.w, a.ws, r0 + r);
    const float* xc[C];
    for (int c = 0; c < C; ++c) xc[c] = xf + static_cast<size_t>(c0 + c) * a.n;
    __m256 lo[R][C], hi[R][C];
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) lo[r][c] = hi[r][c] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n16; i += 16) {
      for (int r = 0; r < R; ++r) {
        const __m256 wl = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr[r] + i)));
        for (int c = 0; c < C; ++c) lo[r][c] = _mm256_fmadd_ps(wl, _mm256_loadu_ps(xc[c] + i), lo[r][c]);
        const __m256 wh = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wr[r] + i + 8)));
        for (int c = 0; c < C; ++c) hi[r][c] = _mm256_fmadd_ps(wh, _mm256_loadu_ps(xc[c] + i + 8), hi[r][c]);
      }
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
  gemm::f16_widened<F16Tile, 3, 2, 16>(n, w, ws, nr, x, xs, nc, y, ys, [](const uint16_t* src, float* dst, int64_t len) {
    int64_t i = 0;
    for (; i + 8 <= len; i += 8)
      _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
    for (; i < len; ++i) dst[i] = fp16_to_fp32(src[i]);
  });
}

}  // namespace

void register_gemm_avx2(KernelTable& t) { entry(t, Type::F16).gemm = gemm_f16; }

}  // namespace hearth::tensor
