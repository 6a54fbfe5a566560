// AVX-512 VNNI kernels for Q4_0 and Q8_0 weights in the interleaved layout (interleave.h): lane l
// of every register belongs to weight row l of a 16-row group, so a block costs 8 dpbusd per
// token for 16 rows, with no horizontal sums. Results equal the scalar reference bit for bit:
// integer block sums are exact, then one fma per block and lane in block order.
#if defined(__GNUC__) && !defined(__clang__)
// GCC's own intrinsic headers trip these (an undefined "passthrough" operand).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "tensor/blocks.h"
#include "tensor/interleave.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

// Tokens per tile: 8 integer and 8 float accumulators stay in registers. Measured on Zen 5
// (Q4_0 pp512): 6 tokens 3% slower, 12 tokens 15% slower (spills).
constexpr int kTokens = 8;
// Generation prefetch distance, measured the same way (Q4_0 tg128: 512 B 61, 1 KiB 62, 2 KiB 67,
// 4 KiB 70, 8 KiB 68 t/s; Q8_0 flat at 41).
constexpr size_t kAhead = 4096;

inline __m512i bcast32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Per token and block: the offset correction (codes are stored unsigned: Q4_0 as q + 8, Q8_0 as
// q + 128, so the exact sum is dpbusd(u, x) - offset * sum(x)) and the activation scale. Every
// work item recomputes these for its tokens, so 16 blocks' sums come from one transposing tree.
template <bool kQ4>
void token_terms(const BlockQ8_0* x, int64_t nb, int32_t* corr, float* dx) {
  constexpr int32_t kOffset = kQ4 ? 8 : 128;
  const __m512i ones = _mm512_set1_epi8(1);
  int64_t i = 0;
  for (; i + 16 <= nb; i += 16) {
    // s[r]: lanes 0-7 partial sums of block i+2r, lanes 8-15 of block i+2r+1.
    __m512i s[8];
    for (int r = 0; r < 8; ++r) {
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i + 2 * r].qs));
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i + 2 * r + 1].qs));
      s[r] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1));
    }
    // Two interleave-and-add rounds leave, in 128-bit lane k of q[h], the sums of lanes 4k..4k+3
    // of s[4h], s[4h+1], s[4h+2], s[4h+3].
    __m512i q[2];
    for (int h = 0; h < 2; ++h) {
      const __m512i* t = s + 4 * h;
      const __m512i u0 = _mm512_add_epi32(_mm512_unpacklo_epi32(t[0], t[1]), _mm512_unpackhi_epi32(t[0], t[1]));
      const __m512i u1 = _mm512_add_epi32(_mm512_unpacklo_epi32(t[2], t[3]), _mm512_unpackhi_epi32(t[2], t[3]));
      q[h] = _mm512_add_epi32(_mm512_unpacklo_epi64(u0, u1), _mm512_unpackhi_epi64(u0, u1));
      // Add 128-bit lanes 0+1 (even blocks) and 2+3 (odd blocks).
      q[h] = _mm512_add_epi32(q[h], _mm512_shuffle_i32x4(q[h], q[h], _MM_SHUFFLE(2, 3, 0, 1)));
    }
    // Lanes 0-3 of q: blocks 0,2,4,6 (+8h); lanes 8-11: blocks 1,3,5,7 (+8h). Gather, then order.
    const __m512i m = _mm512_shuffle_i32x4(q[0], q[1], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512i order = _mm512_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
    const __m512i sums = _mm512_permutexvar_epi32(order, m);
    _mm512_storeu_si512(corr + i, _mm512_mullo_epi32(sums, _mm512_set1_epi32(-kOffset)));
    for (int b = 0; b < 16; ++b) dx[i + b] = _cvtsh_ss(x[i + b].d);
  }
  for (; i < nb; ++i) {
    int32_t sum = 0;
    for (int j = 0; j < QK8_0; ++j) sum += x[i].qs[j];
    corr[i] = -kOffset * sum;
    dx[i] = _cvtsh_ss(x[i].d);
  }
}

// One 16-row group against C tokens. y points at (first token, first row of the group).
template <bool kQ4, int C>
void group_tile(const uint8_t* w, int64_t nb, const BlockQ8_0* const* xr, const int32_t* corr, const float* dx,
                int64_t stride, float* y, int64_t ys) {
  constexpr size_t gb = kInterleaveRows * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0));
  const __m512i low = _mm512_set1_epi8(0x0f);
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* p = w + static_cast<size_t>(i) * gb;
    if constexpr (C == 1) {
      // One token streams the weights from DRAM once: ask for the lines kAhead bytes on.
      for (size_t off = 0; off < gb; off += 64) _mm_prefetch(reinterpret_cast<const char*>(p + kAhead + off), _MM_HINT_T0);
    }
    __m512i sum[C];
    for (int c = 0; c < C; ++c) sum[c] = _mm512_set1_epi32(corr[c * stride + i]);
    if constexpr (kQ4) {
      for (int k = 0; k < 4; ++k) {
        const __m512i v = _mm512_loadu_si512(p + 32 + 64 * k);
        const __m512i lo = _mm512_and_si512(v, low);
        const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
        for (int c = 0; c < C; ++c) {
          sum[c] = _mm512_dpbusd_epi32(sum[c], lo, bcast32(xr[c][i].qs + 4 * k));
          sum[c] = _mm512_dpbusd_epi32(sum[c], hi, bcast32(xr[c][i].qs + 16 + 4 * k));
        }
      }
    } else {
      for (int k = 0; k < 8; ++k) {
        const __m512i v = _mm512_loadu_si512(p + 32 + 64 * k);
        for (int c = 0; c < C; ++c) sum[c] = _mm512_dpbusd_epi32(sum[c], v, bcast32(xr[c][i].qs + 4 * k));
      }
    }
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    for (int c = 0; c < C; ++c)
      acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(dx[c * stride + i])), _mm512_cvtepi32_ps(sum[c]),
                               acc[c]);
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(y + c * ys, acc[c]);
}

template <bool kQ4>
void gemm_interleaved(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc,
                      float* y, int64_t ys) {
  const int64_t nb = n / QK8_0, ng = nr / kInterleaveRows;
  const size_t group_bytes = kInterleaveRows * ws;
  thread_local std::vector<int32_t> corr;
  thread_local std::vector<float> dx;
  corr.resize(static_cast<size_t>(kTokens * nb));
  dx.resize(static_cast<size_t>(kTokens * nb));
  // Tokens outer: a tile's activations stay in L1 while the item's weight groups (sized by
  // matmul to fit L2) pass over them.
  for (int64_t c0 = 0; c0 < nc; c0 += kTokens) {
    const int cw = static_cast<int>(std::min<int64_t>(kTokens, nc - c0));
    const BlockQ8_0* xr[kTokens];
    for (int c = 0; c < cw; ++c) {
      xr[c] = reinterpret_cast<const BlockQ8_0*>(static_cast<const uint8_t*>(x) + static_cast<size_t>(c0 + c) * xs);
      token_terms<kQ4>(xr[c], nb, corr.data() + c * nb, dx.data() + c * nb);
    }
    for (int64_t g = 0; g < ng; ++g) {
      const uint8_t* wg = static_cast<const uint8_t*>(w) + static_cast<size_t>(g) * group_bytes;
      float* yg = y + c0 * ys + g * kInterleaveRows;
      auto run = [&](auto cc) {
        group_tile<kQ4, decltype(cc)::value>(wg, nb, xr, corr.data(), dx.data(), nb, yg, ys);
      };
      switch (cw) {
        case 1: run(std::integral_constant<int, 1>{}); break;
        case 2: run(std::integral_constant<int, 2>{}); break;
        case 3: run(std::integral_constant<int, 3>{}); break;
        case 4: run(std::integral_constant<int, 4>{}); break;
        case 5: run(std::integral_constant<int, 5>{}); break;
        case 6: run(std::integral_constant<int, 6>{}); break;
        case 7: run(std::integral_constant<int, 7>{}); break;
        default: run(std::integral_constant<int, kTokens>{}); break;
      }
    }
  }
}

}  // namespace

void register_gemm_interleaved_avx512(KernelTable& t) {
  for (const bool q4 : {true, false}) {
    TypeKernels& k = entry(t, q4 ? Type::Q4_0 : Type::Q8_0);
    k.gemm_interleaved = q4 ? gemm_interleaved<true> : gemm_interleaved<false>;
    k.interleave_pays = true;
  }
}

}  // namespace hearth::tensor
