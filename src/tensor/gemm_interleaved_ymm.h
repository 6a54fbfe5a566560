// 256-bit kernels for Q4_0, Q8_0, Q4_K, Q5_K and Q6_K weights in the interleaved layout (interleave.h),
// one source for two tiers: gemm_interleaved_avx2.cpp compiles it for AVX2 and
// gemm_interleaved_avxvnni.cpp for AVX2 + AVX-VNNI (each copy has internal linkage).
// A 64-byte chunk of a 16-row group is two 256-bit registers (rows 0-7, rows 8-15), so lane l of
// a register still belongs to one weight row and no horizontal sums are needed. Without VNNI the
// u8 x s8 products go through vpmaddubsw (16-bit pair sums) and vpmaddwd; the codes are small
// enough that several chunks' pair sums stay exact in 16 bits before widening (each place states
// its bound; activations are within [-128, 127]). With VNNI one vpdpbusd adds 4 products per
// 32-bit lane, exactly. Integer sums are exact either way and the float steps are the ones
// interleave.h defines, so Q4_0 and Q8_0 equal the scalar reference bit for bit, and the K-quants
// equal the AVX2 row kernels (kernels_avx2.cpp) on both tiers.
#pragma once
#include <immintrin.h>

#include <cstring>

#include "tensor/blocks.h"
#include "tensor/gemm_interleaved_driver.h"
#include "tensor/interleave.h"
#include "tensor/kernels.h"
#include "tensor/simd_avx.h"

// The K-quant float expressions must not be contracted into FMAs: they mirror the row kernels.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace hearth::tensor {
namespace {

// Without VNNI, GCC unrolling Q4_0's chunk loop (chunks x 4 tokens of 16-bit sums) runs out of the
// 16 registers and keeps the sums on the stack. Kept rolled, prompts ran faster on Zen 5 (pp512,
// 2 threads: Q4_0 126-129 -> 164-165 t/s; unrolled by 2: no change); with VNNI the unrolled loop
// is the faster. Q8_0's loop (below) is unrolled by 2.
#if defined(__AVXVNNI__)
#define HEARTH_CHUNK_LOOP
#else
#define HEARTH_CHUNK_LOOP _Pragma("GCC unroll 1")
#endif

#if defined(__AVXVNNI__)
constexpr bool kVnni = true;
inline __m256i dpbusd(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_avx_epi32(acc, u, s); }
#else
constexpr bool kVnni = false;
// Only the kVnni branches call it, which this copy discards (the others keep 16-bit sums longer);
// the vpmaddubsw form is exact while each pair of products fits 16 bits, as theirs do.
inline __m256i dpbusd(__m256i acc, __m256i u, __m256i s) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}
#endif

inline __m256i bcast32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}
inline __m256i load256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m128i load128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline __m128i load64(const uint8_t* p) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)); }
// fp16 scales of the 8 rows of half h (row l's scale at byte 2l of the 32-byte field).
inline __m256 half_scales(const uint8_t* field, int h) { return _mm256_cvtph_ps(load128(field + 16 * h)); }

// Tiles work on NH halves of 8 rows from half h0. One or two tokens take both halves at once (the
// group's bytes are read once, which generation needs); more tokens take one half at a time, so
// the accumulators of a half fit the 16 registers.
template <int C>
constexpr int halves_together() {
  return C <= 2 ? 2 : 1;
}

// ---- Q4_0 and Q8_0 -----------------------------------------------------------------------------
// Per token and block: the offset correction (codes are stored as q + 8 for Q4_0, so the exact
// sum is sum(u * x) - 8 * sum(x)) and the activation scale. Q8_0's codes are stored as q + 128:
// with VNNI they are used as they are and corrected the same way; without, they are turned back
// into q, whose sign moves onto the activations, and need no correction.
template <bool kQ4>
void token_terms(const BlockQ8_0* x, int64_t nb, int32_t* corr, float* dx) {
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  constexpr int32_t offset = kQ4 ? 8 : (kVnni ? 128 : 0);
  for (int64_t i = 0; i < nb; ++i) {
    if constexpr (offset != 0) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs));
      corr[i] = -offset * simd::hsum256_i32(_mm256_madd_epi16(_mm256_maddubs_epi16(ones8, q), ones16));
    } else {
      corr[i] = 0;
    }
    dx[i] = _cvtsh_ss(x[i].d);
  }
}

template <bool kQ4, int C, int NH>
void q_tile(const uint8_t* w, int64_t nb, int h0, const BlockQ8_0* const* xr, const int32_t* corr, const float* dx,
            float* y, int64_t ys) {
  constexpr size_t gb = kInterleaveRows * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0));
  const __m256i low = _mm256_set1_epi8(0x0f), ones16 = _mm256_set1_epi16(1), flip = _mm256_set1_epi8(-128);
  __m256 acc[NH][C];
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) acc[h][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* p = w + static_cast<size_t>(i) * gb;
    if constexpr (C == 1) prefetch_block(p, gb);
    __m256i sum[NH][C];
    if constexpr (kVnni) {
      for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c) sum[h][c] = _mm256_set1_epi32(corr[c * nb + i]);
      for (int k = 0; k < (kQ4 ? 4 : 8); ++k) {
        __m256i lo[NH], hi[NH];
        for (int h = 0; h < NH; ++h) {
          const __m256i v = load256(p + 32 + 64 * k + 32 * (h0 + h));
          lo[h] = kQ4 ? _mm256_and_si256(v, low) : v;
          if constexpr (kQ4) hi[h] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
        }
        for (int c = 0; c < C; ++c) {
          const __m256i xl = bcast32(xr[c][i].qs + 4 * k);
          for (int h = 0; h < NH; ++h) sum[h][c] = dpbusd(sum[h][c], lo[h], xl);
          if constexpr (kQ4) {
            const __m256i xh = bcast32(xr[c][i].qs + 16 + 4 * k);
            for (int h = 0; h < NH; ++h) sum[h][c] = dpbusd(sum[h][c], hi[h], xh);
          }
        }
      }
    } else if constexpr (kQ4) {
      // Each 16-bit lane adds 16 products of a code (0..15) and an activation: |sum| <= 30720.
      __m256i s16[NH][C];
      for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c) s16[h][c] = _mm256_setzero_si256();
      HEARTH_CHUNK_LOOP
      for (int k = 0; k < 4; ++k) {
        __m256i lo[NH], hi[NH];
        for (int h = 0; h < NH; ++h) {
          const __m256i v = load256(p + 32 + 64 * k + 32 * (h0 + h));
          lo[h] = _mm256_and_si256(v, low);
          hi[h] = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
        }
        for (int c = 0; c < C; ++c) {
          const __m256i xl = bcast32(xr[c][i].qs + 4 * k), xh = bcast32(xr[c][i].qs + 16 + 4 * k);
          for (int h = 0; h < NH; ++h)
            s16[h][c] = _mm256_add_epi16(s16[h][c], _mm256_add_epi16(_mm256_maddubs_epi16(lo[h], xl),
                                                                     _mm256_maddubs_epi16(hi[h], xh)));
        }
      }
      for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c)
          sum[h][c] = _mm256_add_epi32(_mm256_madd_epi16(s16[h][c], ones16), _mm256_set1_epi32(corr[c * nb + i]));
    } else {
      for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c) sum[h][c] = _mm256_setzero_si256();
      // Unrolled by 2: fully unrolled, GCC spilled the float accumulators and 2 of the chunks
      // (pp512 on Zen 5, binaries alternated: 112-120 fully, 123-131 by 2 or by 4; rolled was
      // slower still).
      _Pragma("GCC unroll 2")
      for (int k = 0; k < 8; ++k) {
        // |q| <= 128 and |x| <= 127: a pair sum is at most 32512.
        __m256i q[NH], aq[NH];
        for (int h = 0; h < NH; ++h) {
          q[h] = _mm256_xor_si256(load256(p + 32 + 64 * k + 32 * (h0 + h)), flip);
          aq[h] = _mm256_abs_epi8(q[h]);
        }
        for (int c = 0; c < C; ++c) {
          const __m256i xv = bcast32(xr[c][i].qs + 4 * k);
          for (int h = 0; h < NH; ++h)
            sum[h][c] = _mm256_add_epi32(
                sum[h][c], _mm256_madd_epi16(_mm256_maddubs_epi16(aq[h], _mm256_sign_epi8(xv, q[h])), ones16));
        }
      }
    }
    for (int h = 0; h < NH; ++h) {
      const __m256 dw = half_scales(p, h0 + h);
      for (int c = 0; c < C; ++c)
        acc[h][c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(dx[c * nb + i])), _mm256_cvtepi32_ps(sum[h][c]),
                                    acc[h][c]);
    }
  }
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(y + c * ys + 8 * (h0 + h), acc[h][c]);
}

// ---- Q4_K and Q5_K -----------------------------------------------------------------------------
// interleave.h: Q5_K's group-block is Q4_K's followed by the fifth bits' chunks.
constexpr size_t kQ4KScales = 64, kQ4KMins = 192, kQ4KCodes = 320, kQ4KGroupBlock = 2368, kQ5KHigh = 2368,
                 kQ5KGroupBlock = 2880;

// Per token and super-block: the activation scale and, per sub-block j, bsums[2j] + bsums[2j+1]
// (|pair| <= 4096, so pairs j and j+1 travel as one int32 of two int16 for vpmaddwd).
void token_terms_q4_k(const BlockQ8_K* x, int64_t nb, int32_t* pairs, float* xd) {
  for (int64_t i = 0; i < nb; ++i) {
    for (int j = 0; j < 8; j += 2) {
      const int32_t a = x[i].bsums[2 * j] + x[i].bsums[2 * j + 1];
      const int32_t b = x[i].bsums[2 * j + 2] + x[i].bsums[2 * j + 3];
      pairs[4 * i + j / 2] = static_cast<int32_t>((static_cast<uint32_t>(a) & 0xffffu) | (static_cast<uint32_t>(b) << 16));
    }
    xd[i] = x[i].d;
  }
}

// The per-row unpacked bytes (one per row, 16 rows) of field f for half h, widened to int32.
inline __m256i row_bytes_u8(const uint8_t* f, int h) { return _mm256_cvtepu8_epi32(load64(f + 8 * h)); }

// Codes of sub-block 2k + kNib (nibble kNib of chunk q of pair k), rows of half h; Q5_K's fifth
// bit (qh bit 2k + kNib) moved to bit 4. The 16-bit shifts keep each bit inside its byte.
template <bool kQ5, int kNib>
inline __m256i k_codes(const uint8_t* p, int k, int q, int h) {
  const __m256i v = load256(p + kQ4KCodes + 64 * (8 * k + q) + 32 * h);
  __m256i u = _mm256_and_si256(kNib ? _mm256_srli_epi16(v, 4) : v, _mm256_set1_epi8(0x0f));
  if constexpr (kQ5) {
    const __m256i qh = _mm256_srl_epi16(load256(p + kQ5KHigh + 64 * q + 32 * h), _mm_cvtsi32_si128(2 * k));
    u = _mm256_or_si256(u, _mm256_and_si256(kNib ? _mm256_slli_epi16(qh, 3) : _mm256_slli_epi16(qh, 4),
                                            _mm256_set1_epi8(0x10)));
  }
  return u;
}

// m[q0] + .. + m[q0 + N - 1] in 16 bits, as a tree (written out: GCC keeps a strided loop rolled).
template <int N>
inline __m256i add16_tree(const __m256i* m) {
  if constexpr (N == 1) return m[0];
  else return _mm256_add_epi16(add16_tree<N / 2>(m), add16_tree<N - N / 2>(m + N / 2));
}

// The N chunks' vpmaddubsw against a token's activations xq.., summed in 16 bits.
template <int N>
inline __m256i maddubs_sum(const __m256i* u, const int8_t* xq) {
  __m256i m[N];
  for (int q = 0; q < N; ++q) m[q] = _mm256_maddubs_epi16(u[q], bcast32(xq + 4 * q));
  return add16_tree<N>(m);
}

// Without VNNI: sub-block 2k + kNib of halves h0.. against every token, added to isum, four chunks
// at a time: their codes stay in registers while each token's four vpmaddubsw are summed in 16 bits
// (8 products of a code and an activation per lane: 8 x 31 x 128 = 31744 for 5-bit codes) and
// scaled by one vpmaddwd (the scale in both int16 halves of the lane). The loop carries one 32-bit
// sum per token. Keeping two 16-bit sums per token over a sub-block pair instead (the VNNI form)
// needs more than the 16 registers at 4 tokens: GCC spilled them and copied the rest every chunk
// (pp512 Q4_K_M on Zen 5, AVX2, binaries alternated: 143-162 -> 156-177 t/s; eight chunks per
// sum: 148-152 where four gave 156).
template <bool kQ5, int kNib, int C, int NH>
inline void k_sub_block_maddubs(const uint8_t* p, int h0, int k, const BlockQ8_K* const* xr, int64_t i,
                                __m256i (*isum)[C]) {
  constexpr int kSpan = 4;
  const int j = 2 * k + kNib;
  for (int h = 0; h < NH; ++h) {
    __m256i sc = row_bytes_u8(p + kQ4KScales + 16 * j, h0 + h);
    sc = _mm256_or_si256(sc, _mm256_slli_epi32(sc, 16));
    for (int q0 = 0; q0 < 8; q0 += kSpan) {
      __m256i u[kSpan];
      for (int q = 0; q < kSpan; ++q) u[q] = k_codes<kQ5, kNib>(p, k, q0 + q, h0 + h);
      for (int c = 0; c < C; ++c)
        isum[h][c] = _mm256_add_epi32(isum[h][c],
                                      _mm256_madd_epi16(maddubs_sum<kSpan>(u, xr[c][i].qs + 32 * j + 4 * q0), sc));
    }
  }
}

// With VNNI: sub-blocks 2k and 2k+1 in 32-bit sums from the start, then times their scales (vpmulld).
template <bool kQ5, int C, int NH>
inline void k_pair_vnni(const uint8_t* p, int h0, int k, const BlockQ8_K* const* xr, int64_t i, __m256i (*isum)[C]) {
  __m256i slo[NH][C], shi[NH][C];
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) slo[h][c] = shi[h][c] = _mm256_setzero_si256();
  for (int q = 0; q < 8; ++q) {
    __m256i lo[NH], hi[NH];
    for (int h = 0; h < NH; ++h) {
      lo[h] = k_codes<kQ5, 0>(p, k, q, h0 + h);
      hi[h] = k_codes<kQ5, 1>(p, k, q, h0 + h);
    }
    for (int c = 0; c < C; ++c) {
      const int8_t* xq = xr[c][i].qs + 64 * k + 4 * q;
      const __m256i xl = bcast32(xq), xh = bcast32(xq + 32);
      for (int h = 0; h < NH; ++h) {
        slo[h][c] = dpbusd(slo[h][c], lo[h], xl);
        shi[h][c] = dpbusd(shi[h][c], hi[h], xh);
      }
    }
  }
  for (int h = 0; h < NH; ++h) {
    const __m256i sl = row_bytes_u8(p + kQ4KScales + 16 * (2 * k), h0 + h);
    const __m256i sh = row_bytes_u8(p + kQ4KScales + 16 * (2 * k + 1), h0 + h);
    for (int c = 0; c < C; ++c)
      isum[h][c] = _mm256_add_epi32(isum[h][c], _mm256_add_epi32(_mm256_mullo_epi32(slo[h][c], sl),
                                                                 _mm256_mullo_epi32(shi[h][c], sh)));
  }
}

// As the row kernels: isum = sum_j scale_j * dot_j and summs = sum_j min_j * pair_j, both exact,
// then sum += (xd * d) * isum - (xd * dmin) * summs per super-block. One source for Q4_K (codes
// 0..15) and Q5_K (0..31, the fifth bit from qh).
template <bool kQ5, int C, int NH>
void k_scale_min_tile(const uint8_t* w, int64_t nb, int h0, const BlockQ8_K* const* xr, const int32_t* pairs,
                      const float* xd, float* y, int64_t ys) {
  constexpr size_t gb = kQ5 ? kQ5KGroupBlock : kQ4KGroupBlock;
  __m256 acc[NH][C];
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) acc[h][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* p = w + static_cast<size_t>(i) * gb;
    if constexpr (C == 1) prefetch_block(p, gb);
    __m256i isum[NH][C];
    for (int h = 0; h < NH; ++h)
      for (int c = 0; c < C; ++c) isum[h][c] = _mm256_setzero_si256();
    for (int k = 0; k < 4; ++k) {  // sub-blocks 2k (low nibbles of chunks 8k..8k+7) and 2k+1 (high)
      if constexpr (kVnni) {
        k_pair_vnni<kQ5, C, NH>(p, h0, k, xr, i, isum);
      } else {
        k_sub_block_maddubs<kQ5, 0, C, NH>(p, h0, k, xr, i, isum);
        k_sub_block_maddubs<kQ5, 1, C, NH>(p, h0, k, xr, i, isum);
      }
    }
    for (int h = 0; h < NH; ++h) {
      // Mins of sub-blocks j and j+1 as the two int16 halves of a lane, against the token's pairs.
      __m256i mins[4];
      for (int j = 0; j < 8; j += 2)
        mins[j / 2] = _mm256_or_si256(row_bytes_u8(p + kQ4KMins + 16 * j, h0 + h),
                                      _mm256_slli_epi32(row_bytes_u8(p + kQ4KMins + 16 * (j + 1), h0 + h), 16));
      const __m256 dw = half_scales(p, h0 + h), dmw = half_scales(p + 32, h0 + h);
      for (int c = 0; c < C; ++c) {
        const int32_t* pr = pairs + (c * nb + i) * 4;
        __m256i summs = _mm256_setzero_si256();
        for (int j = 0; j < 4; ++j) summs = _mm256_add_epi32(summs, _mm256_madd_epi16(mins[j], _mm256_set1_epi32(pr[j])));
        const __m256 xv = _mm256_set1_ps(xd[c * nb + i]);
        const __m256 t = _mm256_sub_ps(_mm256_mul_ps(_mm256_mul_ps(xv, dw), _mm256_cvtepi32_ps(isum[h][c])),
                                       _mm256_mul_ps(_mm256_mul_ps(xv, dmw), _mm256_cvtepi32_ps(summs)));
        acc[h][c] = _mm256_add_ps(acc[h][c], t);
      }
    }
  }
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(y + c * ys + 8 * (h0 + h), acc[h][c]);
}

// ---- Q6_K --------------------------------------------------------------------------------------
constexpr size_t kQ6KScales = 32, kQ6KLow = 288, kQ6KHigh = 2336, kQ6KGroupBlock = 3360;  // interleave.h

void token_terms_q6_k(const BlockQ8_K* x, int64_t nb, int32_t*, float* xd) {
  for (int64_t i = 0; i < nb; ++i) xd[i] = x[i].d;
}

// Codes u = q + 32 (0..63) of 4 elements per lane, rows of half h. Kind k of super-block half s,
// chunk t holds elements 128s + 32k + 4t..+3: low bits from ql (k odd: the second 32 bytes of the
// half; k >= 2 the high nibbles), high bits from qh bits 2k, 2k+1.
template <int kKind>
inline __m256i q6_codes(const uint8_t* p, int s, int t, int h) {
  const __m256i ql = load256(p + kQ6KLow + 64 * (16 * s + 8 * (kKind & 1) + t) + 32 * h);
  const __m256i qh = load256(p + kQ6KHigh + 64 * (8 * s + t) + 32 * h);
  const __m256i lo = kKind >= 2 ? _mm256_srli_epi16(ql, 4) : ql;
  __m256i hi;
  if constexpr (kKind == 0) hi = _mm256_slli_epi16(qh, 4);
  else if constexpr (kKind == 1) hi = _mm256_slli_epi16(qh, 2);
  else if constexpr (kKind == 2) hi = qh;
  else hi = _mm256_srli_epi16(qh, 2);
  return _mm256_or_si256(_mm256_and_si256(lo, _mm256_set1_epi8(0x0f)), _mm256_and_si256(hi, _mm256_set1_epi8(0x30)));
}

// One 16-element sub-block of kind kKind: two vpmaddubsw summed in 16 bits (4 products of a code
// 0..63 and an activation: |sum| <= 32256), then vpmaddwd against the sub-block's scale (in both
// int16 halves of the lane). With VNNI: four vpdpbusd, then vpmulld (the scale as one int32).
template <int C, int NH, int kKind>
inline void q6_kind(const uint8_t* p, int h0, int s, int s4, const BlockQ8_K* const* xr, int64_t i,
                    const __m256i* scale, __m256i (*isum)[C]) {
  for (int h = 0; h < NH; ++h) {
    __m256i u[4];
    for (int t = 0; t < 4; ++t) u[t] = q6_codes<kKind>(p, s, 4 * s4 + t, h0 + h);
    for (int c = 0; c < C; ++c) {
      const int8_t* xq = xr[c][i].qs + 128 * s + 32 * kKind + 16 * s4;
      if constexpr (kVnni) {  // the 16 products in 32 bits, then times the scale
        __m256i d = dpbusd(_mm256_setzero_si256(), u[0], bcast32(xq));
        d = dpbusd(d, u[1], bcast32(xq + 4));
        d = dpbusd(d, u[2], bcast32(xq + 8));
        d = dpbusd(d, u[3], bcast32(xq + 12));
        isum[h][c] = _mm256_add_epi32(isum[h][c], _mm256_mullo_epi32(d, scale[h]));
        continue;
      }
      const __m256i a = _mm256_add_epi16(_mm256_maddubs_epi16(u[0], bcast32(xq)), _mm256_maddubs_epi16(u[1], bcast32(xq + 4)));
      const __m256i b =
          _mm256_add_epi16(_mm256_maddubs_epi16(u[2], bcast32(xq + 8)), _mm256_maddubs_epi16(u[3], bcast32(xq + 12)));
      isum[h][c] = _mm256_add_epi32(isum[h][c],
                                    _mm256_add_epi32(_mm256_madd_epi16(a, scale[h]), _mm256_madd_epi16(b, scale[h])));
    }
  }
}

// As the row kernel: isum = sum_j scale_j * (sum of u * x over sub-block j) - 32 * sum_j scale_j *
// bsums_j, exact, then sum += (d * xd) * isum per super-block.
template <int C, int NH>
void q6_k_tile(const uint8_t* w, int64_t nb, int h0, const BlockQ8_K* const* xr, const int32_t*, const float* xd,
               float* y, int64_t ys) {
  __m256 acc[NH][C];
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) acc[h][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* p = w + static_cast<size_t>(i) * kQ6KGroupBlock;
    if constexpr (C == 1) prefetch_block(p, kQ6KGroupBlock);
    // Scale pair q of half h: lane l = row l's int8 scales 2q and 2q+1 as two int16.
    auto pair = [&](int q, int h) { return _mm256_cvtepi8_epi16(load128(p + kQ6KScales + 32 * q + 16 * h)); };
    __m256i isum[NH][C];
    for (int h = 0; h < NH; ++h)
      for (int c = 0; c < C; ++c) {
        __m256i off = _mm256_setzero_si256();
        for (int q = 0; q < 8; ++q) {
          int32_t bs;
          std::memcpy(&bs, xr[c][i].bsums + 2 * q, 4);
          off = _mm256_add_epi32(off, _mm256_madd_epi16(pair(q, h0 + h), _mm256_set1_epi32(bs)));
        }
        isum[h][c] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(off, 5));
      }
    for (int s = 0; s < 2; ++s)
      for (int s4 = 0; s4 < 2; ++s4) {
        // Sub-block of kind k: 8s + 2k + s4, in pair 4s + k (its low int16 if s4 == 0), copied
        // into both int16 halves of the lane.
        auto scale = [&](int k, __m256i* out) {
          for (int h = 0; h < NH; ++h) {
            const __m256i v = pair(4 * s + k, h0 + h);
            if constexpr (kVnni)
              out[h] = s4 == 0 ? _mm256_srai_epi32(_mm256_slli_epi32(v, 16), 16) : _mm256_srai_epi32(v, 16);
            else
              out[h] = s4 == 0 ? _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(v, 0xa0), 0xa0)
                             : _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(v, 0xf5), 0xf5);
          }
        };
        __m256i sc[NH];
        scale(0, sc);
        q6_kind<C, NH, 0>(p, h0, s, s4, xr, i, sc, isum);
        scale(1, sc);
        q6_kind<C, NH, 1>(p, h0, s, s4, xr, i, sc, isum);
        scale(2, sc);
        q6_kind<C, NH, 2>(p, h0, s, s4, xr, i, sc, isum);
        scale(3, sc);
        q6_kind<C, NH, 3>(p, h0, s, s4, xr, i, sc, isum);
      }
    for (int h = 0; h < NH; ++h) {
      const __m256 dw = half_scales(p, h0 + h);
      for (int c = 0; c < C; ++c) {
        const __m256 t = _mm256_mul_ps(_mm256_mul_ps(dw, _mm256_set1_ps(xd[c * nb + i])), _mm256_cvtepi32_ps(isum[h][c]));
        acc[h][c] = _mm256_add_ps(acc[h][c], t);
      }
    }
  }
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(y + c * ys + 8 * (h0 + h), acc[h][c]);
}

// ---- the driver's descriptions (gemm_interleaved_driver.h) -------------------------------------
template <bool kQ4>
struct QBlocks {
  using X = BlockQ8_0;
  static constexpr int64_t kBlock = QK8_0, kInts = 1;
  static constexpr int kTokens = 4;
  static void terms(const X* x, int64_t nb, int32_t* ints, float* floats) { token_terms<kQ4>(x, nb, ints, floats); }
  template <int C>
  static void tile(const uint8_t* w, int64_t nb, const X* const* xr, const int32_t* ints, const float* floats,
                   float* y, int64_t ys) {
    constexpr int nh = halves_together<C>();
    for (int h0 = 0; h0 < 2; h0 += nh) q_tile<kQ4, C, nh>(w, nb, h0, xr, ints, floats, y, ys);
  }
};

template <bool kQ5>
struct KScaleMinBlocks {
  using X = BlockQ8_K;
  static constexpr int64_t kBlock = QK_K, kInts = 4;
  static constexpr int kTokens = 4;
  static void terms(const X* x, int64_t nb, int32_t* ints, float* floats) { token_terms_q4_k(x, nb, ints, floats); }
  template <int C>
  static void tile(const uint8_t* w, int64_t nb, const X* const* xr, const int32_t* ints, const float* floats,
                   float* y, int64_t ys) {
    constexpr int nh = halves_together<C>();
    for (int h0 = 0; h0 < 2; h0 += nh) k_scale_min_tile<kQ5, C, nh>(w, nb, h0, xr, ints, floats, y, ys);
  }
};

struct Q6KBlocks {
  using X = BlockQ8_K;
  static constexpr int64_t kBlock = QK_K, kInts = 0;
  // Without VNNI a group's codes take more work to unpack than its products (two loads, shifts
  // and masks per chunk), so 8 tokens share them: pp512 of an all-Q6_K file on Zen 5, medians of
  // 5 alternated runs, 123 -> 136 t/s. (Q4_K and Q8_0 gained nothing from 8.)
  static constexpr int kTokens = kVnni ? 4 : 8;
  static void terms(const X* x, int64_t nb, int32_t* ints, float* floats) { token_terms_q6_k(x, nb, ints, floats); }
  template <int C>
  static void tile(const uint8_t* w, int64_t nb, const X* const* xr, const int32_t* ints, const float* floats,
                   float* y, int64_t ys) {
    constexpr int nh = halves_together<C>();
    for (int h0 = 0; h0 < 2; h0 += nh) q6_k_tile<C, nh>(w, nb, h0, xr, ints, floats, y, ys);
  }
};

// Fills the table of the tier this copy is compiled for.
void fill_gemm_interleaved_ymm(KernelTable& t) {
  entry(t, Type::Q4_0).gemm_interleaved = gemm_interleaved<QBlocks<true>>;
  entry(t, Type::Q8_0).gemm_interleaved = gemm_interleaved<QBlocks<false>>;
  entry(t, Type::Q4_K).gemm_interleaved = gemm_interleaved<KScaleMinBlocks<false>>;
  entry(t, Type::Q5_K).gemm_interleaved = gemm_interleaved<KScaleMinBlocks<true>>;
  entry(t, Type::Q6_K).gemm_interleaved = gemm_interleaved<Q6KBlocks>;
  for (Type type : {Type::Q4_0, Type::Q8_0, Type::Q4_K, Type::Q5_K, Type::Q6_K}) entry(t, type).interleave_pays = true;
}

}  // namespace
}  // namespace hearth::tensor
