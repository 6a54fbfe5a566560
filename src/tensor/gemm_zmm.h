// Register-tiled matmul kernels for the AVX-512 tiers, one source compiled twice:
// gemm_avx512.cpp (F/BW/VL/DQ, integer dots through vpmaddubsw) and gemm_avx512vnni.cpp (VNNI's
// vpdpbusd); simd_zmm.h holds the difference, each copy has internal linkage. One call computes a tile of
// weight rows x tokens; each weight block is unpacked once and reused for every token of the
// tile, each activation block is loaded once and reused for every row. Per (row, token) pair
// the arithmetic is exactly the vec_dot kernel's (same lanes, same float order), so a result
// does not depend on the tiling: generation (one token) and prompt processing agree bit for bit.
#pragma once
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "tensor/blocks.h"
#include "tensor/gemm_f16.h"
#include "tensor/gemm_tiled.h"
#include "tensor/kernels.h"
#include "tensor/quant_k.h"
#include "tensor/simd_avx.h"
#include "tensor/simd_zmm.h"

// The K-quant float expressions must not be contracted into FMAs: they mirror the scalar code.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace hearth::tensor {
namespace {

using gemm::Args;
using gemm::block_row;
using gemm::tiled;
using simd::dpbusd;
using simd::dpwssd;
using simd::kVnni512;

inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

// Generation (one token) streams every weight from DRAM once, and the hardware prefetcher alone
// leaves the core waiting on loads (Q4_0 mat-vec from DRAM: ~20 GB/s without, ~40 GB/s with).
// One-token tiles therefore request the matching spot of the rows the next tile will read. (The
// one-row K-quant tiles gained nothing from it in the same benchmark, so they do not.)
inline void prefetch_ahead(const void* p, size_t bytes) {
  _mm_prefetch(static_cast<const char*>(p) + bytes, _MM_HINT_T0);
}


// ---- Q8_0 and Q4_0 weights x Q8_0 activations ------------------------------------------------
// Two blocks per 512-bit register: lanes 0-7 hold block i's int32 partial sums, lanes 8-15 block
// i+1's. dpbusd multiplies unsigned by signed bytes, so one operand is made unsigned with an
// exact correction folded into the accumulator's start value:
//   Q4_0: codes u = q + 8 in 0..15:        sum (u - 8) x = dpbusd(u, x) - dpbusd(8, x)
//   Q8_0: activations x + 128 in 0..255:   sum w x = dpbusd(x + 128, w) - dpbusd(128, w)
// Each correction depends on one operand only, so it is computed once per row or per token and
// shared by the whole tile. (Pair sums: Q4_0 <= 2 * 15 * 128, its correction 2 * 8 * 128, Q8_0's
// correction 2 * 128 * 128 = 32768 only when negative, so all fit vpmaddubsw.) Without VNNI the
// Q8_0 product x + 128 times w could reach 65280 in a pair, so that tier keeps x signed and uses
// |w| with w's sign moved onto x (simd::dpbssd), which needs no correction. Lane values are exact integers; floats accumulate per lane as
// fma(d_w * d_x, lane, acc), even blocks in the low half and odd blocks in the high half.
template <bool kQ4>
struct QRow {
  __m512i q;      // Q4_0: codes 0..15; Q8_0: signed codes (without VNNI: their magnitudes)
  __m512i corr;   // Q8_0 with VNNI: -dpbusd(128, w); otherwise unused
  __mmask64 neg;  // Q8_0 without VNNI: the negative codes
  __m512 d;       // scale of block i (low half) and i+1 (high half)
};

// Both fp16 scales converted by one vcvtph2ps, then spread over the two halves.
template <typename B>
inline __m512 pair_scales(const B* b, bool second) {
  __m128i h = _mm_cvtsi32_si128(b[0].d);
  if (second) h = _mm_insert_epi16(h, b[1].d, 1);
  const __m512i idx = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(_mm_cvtph_ps(h)));
}

template <bool kQ4>
inline QRow<kQ4> load_row(const void* row, int64_t i, bool second) {
  QRow<kQ4> r;
  if constexpr (kQ4) {
    const auto* b = static_cast<const BlockQ4_0*>(row) + i;
    // 128-bit lanes [p0, p0, p1, p1] straight from two broadcast loads; the odd lanes take the
    // high nibbles (elements 16..31). Without a second block the top half repeats p0, which
    // adds nothing: that half's activations and scale are zero.
    __m512i dup = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[0].qs)));
    if (second) dup = _mm512_mask_broadcast_i32x4(dup, 0xff00, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[1].qs)));
    const __m512i sh = _mm512_mask_srli_epi16(dup, 0xff00ff00u, dup, 4);
    r.q = _mm512_and_si512(sh, _mm512_set1_epi8(0x0f));
    r.d = pair_scales(b, second);
  } else {
    const auto* b = static_cast<const BlockQ8_0*>(row) + i;
    const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[0].qs));
    const __m256i q1 = second ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[1].qs)) : _mm256_setzero_si256();
    r.q = _mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1);
    if constexpr (kVnni512) {
      r.corr = _mm512_sub_epi32(_mm512_setzero_si512(),
                                dpbusd(_mm512_setzero_si512(), _mm512_set1_epi8(static_cast<char>(0x80)), r.q));
    } else {
      r.neg = _mm512_movepi8_mask(r.q);
      r.q = _mm512_abs_epi8(r.q);
    }
    r.d = pair_scales(b, second);
  }
  return r;
}

struct QTok {
  __m512i x;     // Q4_0: signed codes; Q8_0: codes + 128 as unsigned bytes (without VNNI: signed)
  __m512i corr;  // Q4_0: -dpbusd(8, x); unused for Q8_0
  __m512 d;
};

template <bool kQ4>
inline QTok load_tok(const BlockQ8_0* b, bool second) {
  QTok t;
  const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[0].qs));
  const __m256i x1 = second ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[1].qs)) : _mm256_setzero_si256();
  const __m512i x = _mm512_inserti64x4(_mm512_castsi256_si512(x0), x1, 1);
  if constexpr (kQ4) {
    t.x = x;
    t.corr = _mm512_sub_epi32(_mm512_setzero_si512(), dpbusd(_mm512_setzero_si512(), _mm512_set1_epi8(8), x));
  } else if constexpr (!kVnni512) {
    t.x = x;
  } else {
    // An absent second block must stay zero after the offset (its scale is zero anyway).
    t.x = second ? _mm512_xor_si512(x, _mm512_set1_epi8(static_cast<char>(0x80)))
                 : _mm512_mask_xor_epi32(x, 0x00ff, x, _mm512_set1_epi8(static_cast<char>(0x80)));
  }
  t.d = pair_scales(b, second);
  return t;
}

template <bool kQ4>
struct QTile {
  template <int R, int C>
  struct T {
    static void run(int64_t r0, int64_t c0, const Args& a) {
      const void* wr[R];
      const BlockQ8_0* xr[C];
      for (int r = 0; r < R; ++r) wr[r] = static_cast<const uint8_t*>(a.w) + static_cast<size_t>(r0 + r) * a.ws;
      for (int c = 0; c < C; ++c) xr[c] = block_row<BlockQ8_0>(a.x, a.xs, c0 + c);
      __m512 acc[R][C];
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
      const int64_t nb = a.n / QK8_0;
      for (int64_t i = 0; i < nb; i += 2) {
        const bool second = i + 1 < nb;
        QTok xt[C];
        for (int c = 0; c < C; ++c) xt[c] = load_tok<kQ4>(xr[c] + i, second);
        for (int r = 0; r < R; ++r) {
          // Generation streams weights from DRAM: ask for the same spot of the row R rows ahead
          // (the next tile's) so its lines arrive while this tile computes.
          if constexpr (C == 1) prefetch_ahead(wr[r], R * a.ws + i * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0)));
          const QRow<kQ4> w = load_row<kQ4>(wr[r], i, second);
          for (int c = 0; c < C; ++c) {
            __m512i p;
            if constexpr (kQ4) p = dpbusd(xt[c].corr, w.q, xt[c].x);
            else if constexpr (kVnni512) p = dpbusd(w.corr, xt[c].x, w.q);
            else p = simd::dpbssd(_mm512_setzero_si512(), w.q, w.neg, xt[c].x);
            acc[r][c] = _mm512_fmadd_ps(_mm512_mul_ps(w.d, xt[c].d), _mm512_cvtepi32_ps(p), acc[r][c]);
          }
        }
      }
      for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
          const __m512 v = acc[r][c];
          const __m256 s = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
          a.y[(c0 + c) * a.ys + r0 + r] = simd::hsum256(s);
        }
    }
  };
};

template <bool kQ4>
void gemm_q(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc, float* y,
            int64_t ys) {
  const Args a{n, w, ws, x, xs, y, ys};
  if (nc == 1) tiled<QTile<kQ4>::template T, 4, 1>(nr, nc, a);
  else tiled<QTile<kQ4>::template T, 4, 4>(nr, nc, a);
}

// vec_dot for the same types: a 1 x 1 tile, so generation and batches give identical values.
template <bool kQ4>
float dot_q(int64_t n, const void* w, const void* x) {
  float y = 0.0f;
  const Args a{n, w, 0, x, 0, &y, 1};
  QTile<kQ4>::template T<1, 1>::run(0, 0, a);
  return y;
}

// ---- Q4_K and Q6_K weights x Q8_K activations --------------------------------------------------
// One row at a time (its unpacked codes fill 8 registers), several tokens per row. The integer
// sums are exact and the per-super-block float expression is the scalar kernel's.
// The 8 six-bit scales and mins of a Q4_K/Q5_K super-block, unpacked from 12 bytes in one
// register (same values as scale_min_k4): bytes 0-3 hold scales 0-3 and the top bits of scales
// 4-7, bytes 4-7 mins 0-3 and the top bits of mins 4-7, bytes 8-11 the low nibbles of scales 4-7
// (low) and mins 4-7 (high). Returns scales 0-7 in bytes 0-7 and mins 0-7 in bytes 8-15. Kept in
// registers: storing words to a stack array and reloading them as a vector stalls store
// forwarding once per super-block. Reads 16 bytes; the 4 after the scales are the block's codes.
inline __m128i unpack_k4_scales(const uint8_t* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));  // words w0, w1, w2
  const __m128i lo = _mm_and_si128(v, _mm_set1_epi8(0x3f));                   // [s_lo, m_lo]
  const __m128i w2 = _mm_srlv_epi32(_mm_shuffle_epi32(v, _MM_SHUFFLE(2, 2, 2, 2)), _mm_setr_epi32(0, 4, 0, 0));
  const __m128i top = _mm_slli_epi32(_mm_and_si128(_mm_srli_epi32(v, 6), _mm_set1_epi8(3)), 4);
  const __m128i hi = _mm_or_si128(_mm_and_si128(w2, _mm_set1_epi8(0x0f)), top);  // [s_hi, m_hi]
  return _mm_unpacklo_epi32(lo, hi);  // [s_lo, s_hi, m_lo, m_hi]
}

// Q4_K: 32 packed bytes hold sub-block 2k (low nibbles) and 2k+1 (high nibbles), and the matching
// 64 activation bytes are contiguous, so one 512-bit dpbusd covers both sub-blocks. Its lanes are
// below 2^15 in magnitude (pairs of products <= 2 * 15 * 128 for vpmaddubsw), so dpwssd against
// [scale, 0] pairs applies the sub-block scale. The
// exact integer sums then go through the scalar kernel's float expression (bit-identical).
template <int R, int C>
struct Q4KTile {
  static void run(int64_t r0, int64_t c0, const Args& a) {
    static_assert(R == 1);
    const auto* w = block_row<BlockQ4_K>(a.w, a.ws, r0);
    const BlockQ8_K* xr[C];
    for (int c = 0; c < C; ++c) xr[c] = block_row<BlockQ8_K>(a.x, a.xs, c0 + c);
    float sum[C] = {};
    const __m512i low = _mm512_set1_epi8(0x0f);
    for (int64_t i = 0; i < a.n / QK_K; ++i) {
      const __m128i sm = unpack_k4_scales(w[i].scales);
      const __m512i sc32 = _mm512_cvtepu8_epi32(sm);
      __m512i codes[4], scales[4];
      for (int k = 0; k < 4; ++k) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].qs + 32 * k));
        codes[k] = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 4), 1), low);
        // Lanes 0-7: scale 2k, lanes 8-15: scale 2k+1.
        const __m512i idx = _mm512_set_epi32(2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1,
                                             2 * k + 1, 2 * k + 1, 2 * k, 2 * k, 2 * k, 2 * k, 2 * k, 2 * k, 2 * k, 2 * k);
        scales[k] = _mm512_permutexvar_epi32(idx, sc32);
      }
      const __m128i mins = _mm_cvtepu8_epi16(_mm_srli_si128(sm, 8));
      const float dw = h2f(w[i].d), dmw = h2f(w[i].dmin);
      for (int c = 0; c < C; ++c) {
        const BlockQ8_K& xb = xr[c][i];
        // bsums pairs (sub-blocks of 32) against the mins; pair sums fit int16 (|.| <= 2*16*127).
        const __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xb.bsums)),
                                             _mm_loadu_si128(reinterpret_cast<const __m128i*>(xb.bsums + 8)));
        const int summs = simd::hsum128_i32(_mm_madd_epi16(mins, pairs));
        __m512i isum = _mm512_setzero_si512();
        for (int k = 0; k < 4; ++k) {
          const __m512i p = dpbusd(_mm512_setzero_si512(), codes[k], _mm512_loadu_si512(xb.qs + 64 * k));
          isum = dpwssd(isum, p, scales[k]);
        }
        const float d = xb.d * dw;
        const float dmin = xb.d * dmw;
        sum[c] += d * static_cast<float>(_mm512_reduce_add_epi32(isum)) - dmin * static_cast<float>(summs);
      }
    }
    for (int c = 0; c < C; ++c) a.y[(c0 + c) * a.ys + r0] = sum[c];
  }
};

float dot_q4_k(int64_t n, const void* w, const void* x) {
  float y = 0.0f;
  const Args a{n, w, 0, x, 0, &y, 1};
  Q4KTile<1, 1>::run(0, 0, a);
  return y;
}

// Q6_K: 64 codes per 512-bit register (u = q + 32 in 0..63). dpbusd sums groups of four, which
// never straddle a 16-element sub-block and stay below 2^15 in magnitude (pairs <= 2 * 63 * 128), so dpwssd against
// [scale, 0] int16 pairs applies the sub-block scale. The -32 offset (scaled bsums) seeds the
// integer accumulator; the exact sum then takes the scalar kernel's float expression.
template <int R, int C>
struct Q6KTile {
  static void run(int64_t r0, int64_t c0, const Args& a) {
    static_assert(R == 1);
    const auto* w = block_row<BlockQ6_K>(a.w, a.ws, r0);
    const BlockQ8_K* xr[C];
    for (int c = 0; c < C; ++c) xr[c] = block_row<BlockQ8_K>(a.x, a.xs, c0 + c);
    float sum[C] = {};
    const __m512i low = _mm512_set1_epi8(0x0f), three = _mm512_set1_epi8(3);
    const __m512i word = _mm512_set1_epi32(0xffff);
    // High-bit shifts: codes 0-31 and 32-63 of a 64-code register take qh bits 0-1 and 2-3 (or
    // 4-5 and 6-7 for the nibbles' high halves).
    const __m512i sh_lo = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i sh_hi = _mm512_add_epi16(sh_lo, _mm512_set1_epi16(4));
    for (int64_t i = 0; i < a.n / QK_K; ++i) {
      __m512i u[4], scales[4];
      for (int h = 0; h < 2; ++h) {
        const __m512i ql = _mm512_loadu_si512(w[i].ql + 64 * h);
        const __m512i hb = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].qh + 32 * h)));
        auto high = [&](__m512i sh) { return _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(hb, sh), three), 4); };
        u[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, low), high(sh_lo));
        u[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low), high(sh_hi));
      }
      // Lane j of register k belongs to sub-block 4k + j/4.
      const __m512i sc32 = _mm512_and_si512(
          _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i].scales))), word);
      for (int k = 0; k < 4; ++k) {
        const __m512i idx = _mm512_set_epi32(4 * k + 3, 4 * k + 3, 4 * k + 3, 4 * k + 3, 4 * k + 2, 4 * k + 2,
                                             4 * k + 2, 4 * k + 2, 4 * k + 1, 4 * k + 1, 4 * k + 1, 4 * k + 1,
                                             4 * k, 4 * k, 4 * k, 4 * k);
        scales[k] = _mm512_permutexvar_epi32(idx, sc32);
      }
      const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i].scales)));
      const float dw = h2f(w[i].d);
      for (int c = 0; c < C; ++c) {
        const BlockQ8_K& xb = xr[c][i];
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.bsums));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5);
        __m512i isum = _mm512_zextsi256_si512(_mm256_sub_epi32(_mm256_setzero_si256(), offset));
        for (int k = 0; k < 4; ++k) {
          const __m512i p = dpbusd(_mm512_setzero_si512(), u[k], _mm512_loadu_si512(xb.qs + 64 * k));
          isum = dpwssd(isum, p, scales[k]);
        }
        sum[c] += dw * xb.d * static_cast<float>(_mm512_reduce_add_epi32(isum));
      }
    }
    for (int c = 0; c < C; ++c) a.y[(c0 + c) * a.ys + r0] = sum[c];
  }
};

float dot_q6_k(int64_t n, const void* w, const void* x) {
  float y = 0.0f;
  const Args a{n, w, 0, x, 0, &y, 1};
  Q6KTile<1, 1>::run(0, 0, a);
  return y;
}

void gemm_q4_k(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc, float* y,
               int64_t ys) {
  const Args a{n, w, ws, x, xs, y, ys};
  if (nc == 1) tiled<Q4KTile, 1, 1>(nr, nc, a);
  else tiled<Q4KTile, 1, 4>(nr, nc, a);
}

void gemm_q6_k(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc, float* y,
               int64_t ys) {
  const Args a{n, w, ws, x, xs, y, ys};
  if (nc == 1) tiled<Q6KTile, 1, 1>(nr, nc, a);
  else tiled<Q6KTile, 1, 4>(nr, nc, a);
}

void fill_gemm_zmm(KernelTable& t) {
  entry(t, Type::Q8_0).gemm = gemm_q<false>;
  entry(t, Type::Q8_0).vec_dot = dot_q<false>;
  entry(t, Type::Q4_0).gemm = gemm_q<true>;
  entry(t, Type::Q4_0).vec_dot = dot_q<true>;
  entry(t, Type::Q4_K).vec_dot = dot_q4_k;
  entry(t, Type::F16).gemm = simd::F16Rows<simd::Zmm>::matmul;  // gemm_f16.h
  entry(t, Type::Q4_K).gemm = gemm_q4_k;
  entry(t, Type::Q6_K).gemm = gemm_q6_k;
  entry(t, Type::Q6_K).vec_dot = dot_q6_k;
}

}  // namespace
}  // namespace hearth::tensor
