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

  // ---- Float rows (vec_simd.h, dot_float.h, gemm_f16.h) ----
  static constexpr int kLanes = 8;       // floats per register
  static constexpr int kRegisters = 16;  // vector registers the compiler can allocate
  static F fload(const float* p) { return _mm256_loadu_ps(p); }
  static F fload(const uint16_t* p) { return halves(reinterpret_cast<const uint8_t*>(p)); }  // IEEE halves, widened exactly
  static F bf16_load(const uint16_t* p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
  }
  // The first n (< kLanes) elements, the other lanes zero; AVX2 has masked moves for floats only,
  // so halves go through a zeroed copy.
  static __m256i first(int64_t n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static F fload_n(const float* p, int64_t n) { return _mm256_maskload_ps(p, first(n)); }
  static F fload_n(const uint16_t* p, int64_t n) {
    alignas(16) uint16_t t[8] = {};
    std::memcpy(t, p, static_cast<size_t>(n) * sizeof(uint16_t));
    return fload(t);
  }
  static void fstore_n(float* p, F v, int64_t n) { _mm256_maskstore_ps(p, first(n), v); }
  static F fkeep_n(F v, int64_t n) { return _mm256_and_ps(v, _mm256_castsi256_ps(first(n))); }
  static F fmax(F a, F b) { return _mm256_max_ps(a, b); }
  static F fmin(F a, F b) { return _mm256_min_ps(a, b); }
  static F fdiv(F a, F b) { return _mm256_div_ps(a, b); }
  static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static F fround(F v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // 2^k for integral k in [-126, 127], built in the exponent field.
  static F pow2(F k) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23)); }
  // x <= bound ? a : b, and x >= bound ? a : b.
  static F if_le(F x, F bound, F a, F b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, bound, _CMP_LE_OQ)); }
  static F if_ge(F x, F bound, F a, F b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, bound, _CMP_GE_OQ)); }
  static float reduce_add(F v) { return hsum256(v); }  // llama.cpp's order (simd_avx.h)
  static float reduce_max(F v) {
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_max_ss(h, _mm_movehdup_ps(h)));
  }
  // Lane r = the sum of a[r]'s lanes, for kLanes vectors at once: a tree of hadds (10 instructions
  // for 8 sums instead of 5 per sum). Every vector's lanes are added in the same order, (0+1)+(2+3)
  // and (4+5)+(6+7), then the halves, wherever it sits in a.
  static F sums_of(const F* a) {
    const __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
    const __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
  }
  // For each lane, v rounded to an IEEE half, and the half at that index of `table` (65536 halves,
  // read 4 bytes at 2-byte steps, the upper two dropped), widened.
  static F lookup_f16(const uint16_t* table, F v) {
    const __m256i idx = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __m256i g = _mm256_and_si256(_mm256_i32gather_epi32(reinterpret_cast<const int*>(table), idx, 2), _mm256_set1_epi32(0xffff));
    return _mm256_cvtph_ps(_mm_packus_epi32(_mm256_castsi256_si128(g), _mm256_extracti128_si256(g, 1)));
  }

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

  // ---- Float rows (vec_simd.h, dot_float.h, gemm_f16.h); what each is: see Ymm ----
  static constexpr int kLanes = 16;
  static constexpr int kRegisters = 32;
  static F fload(const float* p) { return _mm512_loadu_ps(p); }
  static F fload(const uint16_t* p) { return halves(reinterpret_cast<const uint8_t*>(p)); }
  static F bf16_load(const uint16_t* p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))), 16));
  }
  static __mmask16 first(int64_t n) { return static_cast<__mmask16>((1u << n) - 1); }
  static F fload_n(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(first(n), p); }
  static F fload_n(const uint16_t* p, int64_t n) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(first(n), p)); }
  static void fstore_n(float* p, F v, int64_t n) { _mm512_mask_storeu_ps(p, first(n), v); }
  static F fkeep_n(F v, int64_t n) { return _mm512_maskz_mov_ps(first(n), v); }
  static F fmax(F a, F b) { return _mm512_max_ps(a, b); }
  static F fmin(F a, F b) { return _mm512_min_ps(a, b); }
  static F fdiv(F a, F b) { return _mm512_div_ps(a, b); }
  static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static F fround(F v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static F pow2(F k) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23)); }
  static F if_le(F x, F bound, F a, F b) { return _mm512_mask_mov_ps(b, _mm512_cmp_ps_mask(x, bound, _CMP_LE_OQ), a); }
  static F if_ge(F x, F bound, F a, F b) { return _mm512_mask_mov_ps(b, _mm512_cmp_ps_mask(x, bound, _CMP_GE_OQ), a); }
  // GCC's reduction adds the 256-bit halves, then 128-bit halves, then lanes (l, l + 2) and
  // (0, 1): the order of Ymm's two registers of 8 added and reduced, so 16 lanes give one sum
  // at either width.
  static float reduce_add(F v) { return _mm512_reduce_add_ps(v); }
  static float reduce_max(F v) { return _mm512_reduce_max_ps(v); }
  // Lane r = the sum of a[r]'s lanes, for 16 vectors: four rounds that each halve the vectors by
  // adding interleaved pairs (45 instructions for 16 sums instead of about 8 per sum). Every
  // vector's lanes are added in the same order wherever it sits in a.
  static F sums_of(const F* a) {
    __m512 b[8], c[4], d[2];
    for (int i = 0; i < 8; ++i)  // per 128 bits: even lanes a[2i]'s, odd lanes a[2i+1]'s
      b[i] = _mm512_add_ps(_mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]), _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]));
    for (int i = 0; i < 4; ++i) {  // per 128 bits: one lane each of a[4i..4i+3]
      const __m512d x = _mm512_castps_pd(b[2 * i]), y = _mm512_castps_pd(b[2 * i + 1]);
      c[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)), _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
    }
    for (int i = 0; i < 2; ++i)  // 128-bit lanes: a[8i..8i+3] twice, a[8i+4..8i+7] twice
      d[i] = _mm512_add_ps(_mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                           _mm512_shuffle_f32x4(c[2 * i], c[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_add_ps(_mm512_shuffle_f32x4(d[0], d[1], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(d[0], d[1], _MM_SHUFFLE(3, 1, 3, 1)));
  }
  static F lookup_f16(const uint16_t* table, F v) {
    const __m512i idx = _mm512_cvtepu16_epi32(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __m512i g = _mm512_i32gather_epi32(idx, reinterpret_cast<const int*>(table), 2);
    return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
  }

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
