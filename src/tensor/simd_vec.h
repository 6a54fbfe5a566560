// The vector types the width-generic kernels (gemm_interleaved.h) are written against: Ymm
// (256-bit: avx2, avx2+vnni) and Zmm (512-bit: the three AVX-512 tiers). Each is a set of static
// functions named for what they compute; a kernel written once against V compiles, per tier, to
// that tier's instructions. A 32-bit lane holds one weight row, so a register covers kRows rows
// and a 16-row interleaved group is kParts registers side by side: every per-row field of the
// group (codes, scales) splits into kParts equal pieces, piece `part` at part x (its size / kParts).
// With VNNI dpbusd/dpwssd are single instructions; without, dpbusd goes through vpmaddubsw, whose
// 16-bit pair sums saturate, so each caller states why its pairs fit. Internal linkage: each tier
// compiles its own copy with its own flags.
#pragma once
#if defined(__GNUC__) && !defined(__clang__)
// GCC's own AVX-512 intrinsic headers trip these (an undefined "passthrough" operand).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/simd_avx.h"
#if defined(__AVX512F__) && defined(__AVX512BW__)
#include "tensor/simd_zmm.h"
#endif

namespace hearth::tensor::simd {
namespace {

inline int32_t load32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

#if defined(__AVX2__)
struct Ymm {
  using I = __m256i;
  using F = __m256;
  using Sign = __m256i;  // a signed operand's sign, as sdot wants it
  static constexpr int kRows = 8;
  static constexpr int kParts = 16 / kRows;
  // Tuning of the interleaved tiles for 16 registers (gemm_interleaved.h says what each is for).
  static constexpr int kTokens = 4;
  static constexpr bool kChains = false;  // K-quant pair sums; 16-bit sums without VNNI
#if defined(__AVXVNNI__)
  static constexpr bool kVnni = true;
  static I dpbusd(I acc, I u, I s) { return _mm256_dpbusd_avx_epi32(acc, u, s); }
  static I dpwssd(I acc, I a, I b) { return _mm256_dpwssd_avx_epi32(acc, a, b); }
#else
  static constexpr bool kVnni = false;
  static I dpbusd(I acc, I u, I s) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
  }
  static I dpwssd(I acc, I a, I b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
#endif
  static I zero() { return _mm256_setzero_si256(); }
  static I set8(int8_t v) { return _mm256_set1_epi8(v); }
  static I set16(int16_t v) { return _mm256_set1_epi16(v); }
  static I set32(int32_t v) { return _mm256_set1_epi32(v); }
  static I bcast32(const int8_t* p) { return _mm256_set1_epi32(load32(p)); }
  static I load(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static I and_(I a, I b) { return _mm256_and_si256(a, b); }
  static I or_(I a, I b) { return _mm256_or_si256(a, b); }
  static I xor_(I a, I b) { return _mm256_xor_si256(a, b); }
  static I add16(I a, I b) { return _mm256_add_epi16(a, b); }
  static I add32(I a, I b) { return _mm256_add_epi32(a, b); }
  static I sub32(I a, I b) { return _mm256_sub_epi32(a, b); }
  static I mullo32(I a, I b) { return _mm256_mullo_epi32(a, b); }
  static I maddubs(I u, I s) { return _mm256_maddubs_epi16(u, s); }
  static I madd(I a, I b) { return _mm256_madd_epi16(a, b); }
  template <int N>
  static I srli16(I v) { return _mm256_srli_epi16(v, N); }
  template <int N>
  static I slli16(I v) { return _mm256_slli_epi16(v, N); }
  template <int N>
  static I slli32(I v) { return _mm256_slli_epi32(v, N); }
  template <int N>
  static I srai32(I v) { return _mm256_srai_epi32(v, N); }
  static I srl16(I v, int n) { return _mm256_srl_epi16(v, _mm_cvtsi32_si128(n)); }
  // Each lane's low (kHigh = false) or high int16 copied into both halves of the lane.
  template <bool kHigh>
  static I dup16(I v) {
    return kHigh ? _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(v, 0xf5), 0xf5)
                 : _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(v, 0xa0), 0xa0);
  }
  // kRows bytes widened to int32 lanes; 2 x kRows int8 widened to int16.
  static I u8_lanes(const uint8_t* p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }
  static I i8_pairs(const uint8_t* p) { return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  // Signed codes q (|q| <= 128) against activations x (|x| <= 127): |q| is the unsigned operand
  // and q's sign moves onto x, so pair sums are at most 32512.
  static Sign sign_of(I q) { return q; }
  static I abs8(I q) { return _mm256_abs_epi8(q); }
  static I sdot(I acc, I q_abs, Sign q_sign, I x) { return dpbusd(acc, q_abs, _mm256_sign_epi8(x, q_sign)); }

  static F fzero() { return _mm256_setzero_ps(); }
  static F fset(float v) { return _mm256_set1_ps(v); }
  static F fadd(F a, F b) { return _mm256_add_ps(a, b); }
  static F fsub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F fmul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F to_float(I v) { return _mm256_cvtepi32_ps(v); }
  static F halves(const uint8_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static void store(float* y, F v) { _mm256_storeu_ps(y, v); }

  // The sum of each block's 32 activations.
  static void code_sums(const BlockQ8_0* x, int64_t nb, int32_t* out) {
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    for (int64_t i = 0; i < nb; ++i)
      out[i] = hsum256_i32(_mm256_madd_epi16(_mm256_maddubs_epi16(ones8, load(reinterpret_cast<const uint8_t*>(x[i].qs))), ones16));
  }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__)
struct Zmm {
  using I = __m512i;
  using F = __m512;
  using Sign = __mmask64;
  static constexpr int kRows = 16;
  static constexpr int kParts = 16 / kRows;
  // Tuning of the interleaved tiles for 32 registers (gemm_interleaved.h says what each is for).
  static constexpr int kTokens = 8;
  static constexpr bool kChains = true;  // K-quant dpbusd chains; also for one token without VNNI
  // The dot-product steps (and whether they are VNNI's) are simd_zmm.h's, shared with gemm_zmm.h.
  static constexpr bool kVnni = kVnni512;
  static I dpbusd(I acc, I u, I s) { return simd::dpbusd(acc, u, s); }
  static I dpwssd(I acc, I a, I b) { return simd::dpwssd(acc, a, b); }
  static I zero() { return _mm512_setzero_si512(); }
  static I set8(int8_t v) { return _mm512_set1_epi8(v); }
  static I set16(int16_t v) { return _mm512_set1_epi16(v); }
  static I set32(int32_t v) { return _mm512_set1_epi32(v); }
  static I bcast32(const int8_t* p) { return _mm512_set1_epi32(load32(p)); }
  static I load(const uint8_t* p) { return _mm512_loadu_si512(p); }
  static I and_(I a, I b) { return _mm512_and_si512(a, b); }
  static I or_(I a, I b) { return _mm512_or_si512(a, b); }
  static I xor_(I a, I b) { return _mm512_xor_si512(a, b); }
  static I add16(I a, I b) { return _mm512_add_epi16(a, b); }
  static I add32(I a, I b) { return _mm512_add_epi32(a, b); }
  static I sub32(I a, I b) { return _mm512_sub_epi32(a, b); }
  static I mullo32(I a, I b) { return _mm512_mullo_epi32(a, b); }
  static I maddubs(I u, I s) { return _mm512_maddubs_epi16(u, s); }
  static I madd(I a, I b) { return _mm512_madd_epi16(a, b); }
  template <int N>
  static I srli16(I v) { return _mm512_srli_epi16(v, N); }
  template <int N>
  static I slli16(I v) { return _mm512_slli_epi16(v, N); }
  template <int N>
  static I slli32(I v) { return _mm512_slli_epi32(v, N); }
  template <int N>
  static I srai32(I v) { return _mm512_srai_epi32(v, N); }
  static I srl16(I v, int n) { return _mm512_srl_epi16(v, _mm_cvtsi32_si128(n)); }
  template <bool kHigh>
  static I dup16(I v) {
    return kHigh ? _mm512_shufflehi_epi16(_mm512_shufflelo_epi16(v, 0xf5), 0xf5)
                 : _mm512_shufflehi_epi16(_mm512_shufflelo_epi16(v, 0xa0), 0xa0);
  }
  static I u8_lanes(const uint8_t* p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static I i8_pairs(const uint8_t* p) { return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static Sign sign_of(I q) { return _mm512_movepi8_mask(q); }
  static I abs8(I q) { return _mm512_abs_epi8(q); }
  static I sdot(I acc, I q_abs, Sign q_sign, I x) { return simd::dpbssd(acc, q_abs, q_sign, x); }

  static F fzero() { return _mm512_setzero_ps(); }
  static F fset(float v) { return _mm512_set1_ps(v); }
  static F fadd(F a, F b) { return _mm512_add_ps(a, b); }
  static F fsub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F fmul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F to_float(I v) { return _mm512_cvtepi32_ps(v); }
  static F halves(const uint8_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static void store(float* y, F v) { _mm512_storeu_ps(y, v); }

  // The sum of each block's 32 activations. Every work item recomputes these for its tokens, so
  // 16 blocks' sums come from one transposing tree.
  static void code_sums(const BlockQ8_0* x, int64_t nb, int32_t* out) {
    const __m512i ones = _mm512_set1_epi8(1);
    int64_t i = 0;
    for (; i + 16 <= nb; i += 16) {
      // s[r]: lanes 0-7 partial sums of block i+2r, lanes 8-15 of block i+2r+1.
      __m512i s[8];
      for (int r = 0; r < 8; ++r) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i + 2 * r].qs));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i + 2 * r + 1].qs));
        s[r] = _mm512_madd_epi16(_mm512_maddubs_epi16(ones, _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1)),
                                 _mm512_set1_epi16(1));
      }
      // Two interleave-and-add rounds leave, in 128-bit lane k of q[h], the sums of lanes
      // 4k..4k+3 of s[4h], s[4h+1], s[4h+2], s[4h+3].
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
      _mm512_storeu_si512(out + i, _mm512_permutexvar_epi32(order, m));
    }
    for (; i < nb; ++i) {
      int32_t sum = 0;
      for (int j = 0; j < QK8_0; ++j) sum += x[i].qs[j];
      out[i] = sum;
    }
  }
};
#endif

}  // namespace
}  // namespace hearth::tensor::simd
