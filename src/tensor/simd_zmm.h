// 512-bit integer dot-product steps for the three AVX-512 tiers. With AVX512-VNNI (avx512+vnni,
// avx512+bf16) they are single instructions; without (avx512: Skylake-X/SP) the u8 x s8 products
// go through vpmaddubsw, whose 16-bit pair sums saturate, so each caller states why its pairs fit
// (|u0 s0 + u1 s1| <= 32767). The int16 products of dpwssd are exact either way.
#pragma once
#include <immintrin.h>

namespace hearth::tensor::simd {
namespace {

#if defined(__AVX512VNNI__)
constexpr bool kVnni512 = true;
inline __m512i dpbusd(__m512i acc, __m512i u, __m512i s) { return _mm512_dpbusd_epi32(acc, u, s); }
inline __m512i dpwssd(__m512i acc, __m512i a, __m512i b) { return _mm512_dpwssd_epi32(acc, a, b); }
#else
constexpr bool kVnni512 = false;
inline __m512i dpbusd(__m512i acc, __m512i u, __m512i s) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)));
}
inline __m512i dpwssd(__m512i acc, __m512i a, __m512i b) { return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b)); }
#endif

// Signed x signed bytes: |a| (precomputed, _mm512_abs_epi8) is the unsigned operand and a's sign
// (_mm512_movepi8_mask) moves onto b. Exact while |a| <= 128 and |b| <= 127 (pair sums <= 32512),
// which holds for every activation hearth quantizes (scale amax / 127).
inline __m512i dpbssd(__m512i acc, __m512i a_abs, __mmask64 a_negative, __m512i b) {
  return dpbusd(acc, a_abs, _mm512_mask_sub_epi8(b, a_negative, _mm512_setzero_si512(), b));
}

}  // namespace
}  // namespace hearth::tensor::simd
