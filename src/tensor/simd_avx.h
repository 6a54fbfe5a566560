// Horizontal sums shared by the AVX2 and AVX-512 kernel files. Every function has internal
// linkage: each ISA file compiles its own copy with its own flags, so no copy built for one ISA
// can be picked by the linker for another.
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace hearth::tensor::simd {
namespace {

// Sum of 8 floats, in llama.cpp's order (halves, then pairs, then the last two), which the
// golden logits depend on.
inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int hsum128_i32(__m128i s) {
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

inline int hsum256_i32(__m256i v) {
  return hsum128_i32(_mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

// Signed int8 dot of 32 bytes as 8 int32 lanes (4 products each). The unsigned-by-signed
// instructions need the sign of a moved onto b; |a| <= 127 for every code hearth produces, so
// the 16-bit pair sums of the AVX2 form cannot saturate. VNNI (AVX-512 tier) does it in one.
inline __m256i dot_i8(__m256i a, __m256i b) {
  const __m256i ua = _mm256_sign_epi8(a, a), sb = _mm256_sign_epi8(b, a);
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), ua, sb);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(ua, sb), _mm256_set1_epi16(1));
#endif
}

// Byte j is 0xff when bit j of the 32-bit little-endian field at p is set, else 0 (Q5 fifth
// bits, IQ3_S signs).
inline __m256i bit_mask32(const uint8_t* p) {
  uint32_t bits;
  std::memcpy(&bits, p, 4);
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL, 0x0101010101010101LL, 0));
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

}  // namespace
}  // namespace hearth::tensor::simd
