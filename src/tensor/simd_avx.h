// Horizontal sums shared by the AVX2 and AVX-512 kernel files. Every function has internal
// linkage: each ISA file compiles its own copy with its own flags, so no copy built for one ISA
// can be picked by the linker for another.
#pragma once
#include <immintrin.h>

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

}  // namespace
}  // namespace hearth::tensor::simd
