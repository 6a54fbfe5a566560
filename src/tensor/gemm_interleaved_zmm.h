// AVX-512 kernels for Q4_0, Q8_0, Q4_K, Q5_K and Q6_K weights in the interleaved layout (interleave.h),
// one source for the AVX-512 tiers: gemm_interleaved_avx512.cpp compiles it without VNNI and
// gemm_interleaved_avx512vnni.cpp with it (simd_zmm.h; each copy has internal linkage). Lane l of
// every register belongs to weight row l of a 16-row group, so 32 elements cost 8 dpbusd per
// token for 16 rows, with no horizontal sums. Integer sums are exact; the float steps are the ones
// interleave.h defines, so results equal the reference bit for bit on both tiers.
#pragma once
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
#include "tensor/gemm_interleaved_driver.h"
#include "tensor/interleave.h"
#include "tensor/kernels.h"
#include "tensor/simd_zmm.h"

// The K-quant float expressions must not be contracted into FMAs: it mirrors the row kernels.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace hearth::tensor {
namespace {

using simd::dpbusd;
using simd::dpwssd;
using simd::kVnni512;

// Tokens per tile (kTokens below): 8 integer and 8 float accumulators stay in registers. Measured
// on Zen 5 (Q4_0 pp512): 6 tokens 3% slower, 12 tokens 15% slower (spills).

inline __m512i bcast32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Per token and block: the offset correction (codes are stored unsigned: Q4_0 as q + 8, Q8_0 as
// q + 128, so the exact sum is dpbusd(u, x) - offset * sum(x)) and the activation scale. Every
// work item recomputes these for its tokens, so 16 blocks' sums come from one transposing tree.
// Without VNNI, Q8_0 pairs of (q + 128) x could reach 65280, past vpmaddubsw's 16 bits; that tier
// turns the codes back into q and moves their sign onto x (simd::dpbssd), with no correction.
template <bool kQ4>
void token_terms(const BlockQ8_0* x, int64_t nb, int32_t* corr, float* dx) {
  constexpr int32_t kOffset = kQ4 ? 8 : (kVnni512 ? 128 : 0);
  const __m512i ones = _mm512_set1_epi8(1);
  int64_t i = 0;
  for (; i + 16 <= nb; i += 16) {
    // s[r]: lanes 0-7 partial sums of block i+2r, lanes 8-15 of block i+2r+1.
    __m512i s[8];
    for (int r = 0; r < 8; ++r) {
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i + 2 * r].qs));
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i + 2 * r + 1].qs));
      s[r] = dpbusd(_mm512_setzero_si512(), ones, _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1));
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
    if constexpr (C == 1) prefetch_block(p, gb);
    __m512i sum[C];
    for (int c = 0; c < C; ++c) sum[c] = _mm512_set1_epi32(corr[c * stride + i]);
    if constexpr (kQ4) {
      for (int k = 0; k < 4; ++k) {
        const __m512i v = _mm512_loadu_si512(p + 32 + 64 * k);
        const __m512i lo = _mm512_and_si512(v, low);
        const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
        for (int c = 0; c < C; ++c) {
          sum[c] = dpbusd(sum[c], lo, bcast32(xr[c][i].qs + 4 * k));  // pairs <= 2 * 15 * 128
          sum[c] = dpbusd(sum[c], hi, bcast32(xr[c][i].qs + 16 + 4 * k));
        }
      }
    } else if constexpr (kVnni512) {
      for (int k = 0; k < 8; ++k) {
        const __m512i v = _mm512_loadu_si512(p + 32 + 64 * k);
        for (int c = 0; c < C; ++c) sum[c] = dpbusd(sum[c], v, bcast32(xr[c][i].qs + 4 * k));
      }
    } else {
      for (int k = 0; k < 8; ++k) {
        const __m512i q = _mm512_xor_si512(_mm512_loadu_si512(p + 32 + 64 * k), _mm512_set1_epi8(static_cast<char>(0x80)));
        const __m512i aq = _mm512_abs_epi8(q);
        const __mmask64 neg = _mm512_movepi8_mask(q);
        for (int c = 0; c < C; ++c) sum[c] = simd::dpbssd(sum[c], aq, neg, bcast32(xr[c][i].qs + 4 * k));
      }
    }
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    for (int c = 0; c < C; ++c)
      acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(dx[c * stride + i])), _mm512_cvtepi32_ps(sum[c]),
                               acc[c]);
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(y + c * ys, acc[c]);
}

// ---- Q4_K and Q5_K -----------------------------------------------------------------------------
// interleave.h: Q5_K's group-block is Q4_K's followed by the fifth bits' chunks.
constexpr size_t kQ4KScales = 64, kQ4KMins = 192, kQ4KCodes = 320, kQ4KGroupBlock = 2368, kQ5KHigh = 2368,
                 kQ5KGroupBlock = 2880;

// Per token and super-block: the activation scale and, per sub-block j, bsums[2j] + bsums[2j+1]
// (the mins multiply these).
void token_terms_q4_k(const BlockQ8_K* x, int64_t nb, int32_t* pairs, float* xd) {
  for (int64_t i = 0; i < nb; ++i) {
    for (int j = 0; j < 8; ++j) pairs[8 * i + j] = x[i].bsums[2 * j] + x[i].bsums[2 * j + 1];
    xd[i] = x[i].d;
  }
}

// As the row kernels: isum = sum_j scale_j * dot_j and summs = sum_j min_j * pair_j, both exact,
// then sum += (xd * d) * isum - (xd * dmin) * summs per super-block. dpwssd against [scale, 0]
// int16 pairs applies a sub-block scale exactly while the dpbusd chain before it stays below 2^15:
// 16 elements of 4-bit codes (16 x 15 x 128), 8 of Q5_K's 5-bit codes (8 x 31 x 128), whose fifth
// bit comes from qh (bit 2k of sub-block 2k, 2k+1 of 2k+1).
template <bool kQ5, int C>
void group_tile_k_scale_min(const uint8_t* w, int64_t nb, const BlockQ8_K* const* xr, const int32_t* pairs,
                            const float* xd, int64_t stride, float* y, int64_t ys) {
  constexpr size_t gb = kQ5 ? kQ5KGroupBlock : kQ4KGroupBlock;
  constexpr int kChain = kQ5 ? 2 : 4;
  const __m512i low = _mm512_set1_epi8(0x0f), bit4 = _mm512_set1_epi8(0x10);
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* p = w + static_cast<size_t>(i) * gb;
    if constexpr (C == 1) prefetch_block(p, gb);
    __m512i isum[C];
    for (int c = 0; c < C; ++c) isum[c] = _mm512_setzero_si512();
    for (int k = 0; k < 4; ++k) {  // code bytes 32k..32k+31: sub-blocks 2k (low) and 2k+1 (high)
      const __m512i sc_lo = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + kQ4KScales + 32 * k)));
      const __m512i sc_hi =
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + kQ4KScales + 32 * k + 16)));
      for (int h = 0; h < 2; ++h) {  // elements 16h..16h+15 of both sub-blocks: chunks 8k+4h+q
        __m512i lo[4], hi[4];
        for (int q = 0; q < 4; ++q) {
          const __m512i v = _mm512_loadu_si512(p + kQ4KCodes + 64 * (8 * k + 4 * h + q));
          lo[q] = _mm512_and_si512(v, low);
          hi[q] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
          if constexpr (kQ5) {  // after >> 2k the two bits are bits 0 and 1 of their own byte
            const __m512i qh =
                _mm512_srl_epi16(_mm512_loadu_si512(p + kQ5KHigh + 64 * (4 * h + q)), _mm_cvtsi32_si128(2 * k));
            lo[q] = _mm512_or_si512(lo[q], _mm512_and_si512(_mm512_slli_epi16(qh, 4), bit4));
            hi[q] = _mm512_or_si512(hi[q], _mm512_and_si512(_mm512_slli_epi16(qh, 3), bit4));
          }
        }
        for (int c = 0; c < C; ++c) {
          const int8_t* xq = xr[c][i].qs + 64 * k + 16 * h;
          for (int q0 = 0; q0 < 4; q0 += kChain) {
            __m512i pl = _mm512_setzero_si512(), ph = _mm512_setzero_si512();
            for (int q = q0; q < q0 + kChain; ++q) {
              pl = dpbusd(pl, lo[q], bcast32(xq + 4 * q));
              ph = dpbusd(ph, hi[q], bcast32(xq + 32 + 4 * q));
            }
            isum[c] = dpwssd(dpwssd(isum[c], pl, sc_lo), ph, sc_hi);
          }
        }
      }
    }
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    const __m512 dmw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)));
    for (int c = 0; c < C; ++c) {
      __m512i summs = _mm512_setzero_si512();
      for (int j = 0; j < 8; ++j) {
        const __m512i mn = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + kQ4KMins + 16 * j)));
        summs = dpwssd(summs, mn, _mm512_set1_epi32(pairs[(c * stride + i) * 8 + j]));
      }
      const __m512 xv = _mm512_set1_ps(xd[c * stride + i]);
      const __m512 t = _mm512_sub_ps(_mm512_mul_ps(_mm512_mul_ps(xv, dw), _mm512_cvtepi32_ps(isum[c])),
                                     _mm512_mul_ps(_mm512_mul_ps(xv, dmw), _mm512_cvtepi32_ps(summs)));
      acc[c] = _mm512_add_ps(acc[c], t);
    }
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(y + c * ys, acc[c]);
}

// ---- Q6_K --------------------------------------------------------------------------------------
constexpr size_t kQ6KScales = 32, kQ6KLow = 288, kQ6KHigh = 2336, kQ6KGroupBlock = 3360;  // interleave.h

// Per token and super-block: the activation scale (the bsums are read in place).
void token_terms_q6_k(const BlockQ8_K* x, int64_t nb, int32_t*, float* xd) {
  for (int64_t i = 0; i < nb; ++i) xd[i] = x[i].d;
}

// Codes u = q + 32 (0..63) of 4 elements per lane. Kind k of super-block half h, dword t holds
// elements 128h + 32k + 4t..+3: low bits from ql (k even: bytes 4t.., k odd: bytes 32+4t..; k >= 2
// the high nibbles), high bits from qh bits 2k, 2k+1.
template <int kKind>
inline __m512i q6_codes(const uint8_t* p, int h, int t) {
  const __m512i ql = _mm512_loadu_si512(p + kQ6KLow + 64 * (16 * h + 8 * (kKind & 1) + t));
  const __m512i qh = _mm512_loadu_si512(p + kQ6KHigh + 64 * (8 * h + t));
  const __m512i lo = kKind >= 2 ? _mm512_srli_epi16(ql, 4) : ql;
  __m512i hi;
  if constexpr (kKind == 0) hi = _mm512_slli_epi16(qh, 4);
  else if constexpr (kKind == 1) hi = _mm512_slli_epi16(qh, 2);
  else if constexpr (kKind == 2) hi = qh;
  else hi = _mm512_srli_epi16(qh, 2);
  return _mm512_or_si512(_mm512_and_si512(lo, _mm512_set1_epi8(0x0f)), _mm512_and_si512(hi, _mm512_set1_epi8(0x30)));
}

// As the row kernel: isum = sum_j scale_j * (sum of u * x over sub-block j) - 32 * sum_j scale_j *
// bsums_j, exact, then sum += (d * xd) * isum per super-block. A sub-block's 16 elements are one
// dpbusd chain per lane (exact in int32); vpmulld applies its scale.
template <int C, int kKind>
inline void q6_kind(const uint8_t* p, int h, int s4, const BlockQ8_K* const* xr, int64_t i, __m512i scale,
                    __m512i* isum) {
  __m512i u[4];
  for (int t = 0; t < 4; ++t) u[t] = q6_codes<kKind>(p, h, 4 * s4 + t);
  for (int c = 0; c < C; ++c) {
    const int8_t* xq = xr[c][i].qs + 128 * h + 32 * kKind + 16 * s4;
    __m512i part = _mm512_setzero_si512();
    for (int t = 0; t < 4; ++t) part = dpbusd(part, u[t], bcast32(xq + 4 * t));  // pairs <= 2 * 63 * 128
    isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(part, scale));
  }
}

template <int C>
void group_tile_q6_k(const uint8_t* w, int64_t nb, const BlockQ8_K* const* xr, const int32_t*, const float* xd,
                     int64_t stride, float* y, int64_t ys) {
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* p = w + static_cast<size_t>(i) * kQ6KGroupBlock;
    if constexpr (C == 1) prefetch_block(p, kQ6KGroupBlock);
    // Scale pairs [s_2p, s_2p+1] as int16: dpwssd against bsums 2p, 2p+1 gives the offset term.
    auto pair = [&](int q) {
      return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + kQ6KScales + 32 * q)));
    };
    __m512i isum[C];
    for (int c = 0; c < C; ++c) {
      __m512i off = _mm512_setzero_si512();
      for (int q = 0; q < 8; ++q) {
        int32_t bs;
        std::memcpy(&bs, xr[c][i].bsums + 2 * q, 4);
        off = dpwssd(off, pair(q), _mm512_set1_epi32(bs));
      }
      isum[c] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(off, 5));
    }
    for (int h = 0; h < 2; ++h)
      for (int s4 = 0; s4 < 2; ++s4) {
        // Sub-block of kind k: 8h + 2k + s4, in pair 4h + k (low half of the lane if s4 == 0).
        auto scale = [&](int k) {
          const __m512i v = pair(4 * h + k);
          return s4 == 0 ? _mm512_srai_epi32(_mm512_slli_epi32(v, 16), 16) : _mm512_srai_epi32(v, 16);
        };
        q6_kind<C, 0>(p, h, s4, xr, i, scale(0), isum);
        q6_kind<C, 1>(p, h, s4, xr, i, scale(1), isum);
        q6_kind<C, 2>(p, h, s4, xr, i, scale(2), isum);
        q6_kind<C, 3>(p, h, s4, xr, i, scale(3), isum);
      }
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    for (int c = 0; c < C; ++c) {
      const __m512 t = _mm512_mul_ps(_mm512_mul_ps(dw, _mm512_set1_ps(xd[c * stride + i])), _mm512_cvtepi32_ps(isum[c]));
      acc[c] = _mm512_add_ps(acc[c], t);
    }
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(y + c * ys, acc[c]);
}

// Activations per token (Q8_0 or Q8_K blocks) and what each block contributes besides its codes:
// kInts integers and one float per block, computed once per token and work item.
template <bool kQ4>
struct QBlocks {
  using X = BlockQ8_0;
  static constexpr int64_t kBlock = QK8_0, kInts = 1;
  static constexpr int kTokens = 8;
  static void terms(const X* x, int64_t nb, int32_t* ints, float* floats) { token_terms<kQ4>(x, nb, ints, floats); }
  template <int C>
  static void tile(const uint8_t* w, int64_t nb, const X* const* xr, const int32_t* ints, const float* floats,
                   float* y, int64_t ys) {
    group_tile<kQ4, C>(w, nb, xr, ints, floats, nb, y, ys);
  }
};

template <bool kQ5>
struct KScaleMinBlocks {
  using X = BlockQ8_K;
  static constexpr int64_t kBlock = QK_K, kInts = 8;
  static constexpr int kTokens = 8;
  static void terms(const X* x, int64_t nb, int32_t* ints, float* floats) { token_terms_q4_k(x, nb, ints, floats); }
  template <int C>
  static void tile(const uint8_t* w, int64_t nb, const X* const* xr, const int32_t* ints, const float* floats,
                   float* y, int64_t ys) {
    group_tile_k_scale_min<kQ5, C>(w, nb, xr, ints, floats, nb, y, ys);
  }
};

struct Q6KBlocks {
  using X = BlockQ8_K;
  static constexpr int64_t kBlock = QK_K, kInts = 0;
  static constexpr int kTokens = 8;
  static void terms(const X* x, int64_t nb, int32_t* ints, float* floats) { token_terms_q6_k(x, nb, ints, floats); }
  template <int C>
  static void tile(const uint8_t* w, int64_t nb, const X* const* xr, const int32_t* ints, const float* floats,
                   float* y, int64_t ys) {
    group_tile_q6_k<C>(w, nb, xr, ints, floats, nb, y, ys);
  }
};

void fill_gemm_interleaved_zmm(KernelTable& t) {
  entry(t, Type::Q4_0).gemm_interleaved = gemm_interleaved<QBlocks<true>>;
  entry(t, Type::Q8_0).gemm_interleaved = gemm_interleaved<QBlocks<false>>;
  entry(t, Type::Q4_K).gemm_interleaved = gemm_interleaved<KScaleMinBlocks<false>>;
  entry(t, Type::Q5_K).gemm_interleaved = gemm_interleaved<KScaleMinBlocks<true>>;
  entry(t, Type::Q6_K).gemm_interleaved = gemm_interleaved<Q6KBlocks>;
  for (Type type : {Type::Q4_0, Type::Q8_0, Type::Q4_K, Type::Q5_K, Type::Q6_K}) entry(t, type).interleave_pays = true;
}

}  // namespace
}  // namespace hearth::tensor
