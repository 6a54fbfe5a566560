// AVX2+FMA+F16C kernels. Same math as the scalar ones; only float summation order differs
// (8 lanes reduced at the end, as llama.cpp's AVX2 path does), integer block sums are exact.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/dot_float.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"
#include "tensor/simd_avx.h"
#include "tensor/quant_k.h"

namespace hearth::tensor {
namespace {

// F16C conversions round to nearest even, exactly like the scalar fp32_to_fp16.
void f32_to_f16(const float* src, void* dst, int64_t n) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) d[i] = fp32_to_fp16(src[i]);
}


float q8_0_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ8_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK8_0; ++i) {
    const __m256i qa = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs));
    const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs));
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(simd::dot_i8(qa, qb)), acc);
  }
  return simd::hsum256(acc);
}

float q4_0_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  __m256 acc = _mm256_setzero_ps();
  const __m256i low = _mm256_set1_epi8(0x0f), eight = _mm256_set1_epi8(8);
  for (int64_t i = 0; i < n / QK4_0; ++i) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a[i].qs));
    // Low nibbles are elements 0..15, high nibbles 16..31.
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
    const __m256i qa = _mm256_sub_epi8(_mm256_and_si256(both, low), eight);
    const __m256i qb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs));
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(simd::dot_i8(qa, qb)), acc);
  }
  return simd::hsum256(acc);
}


// K-quant dots: the integer sums are exact and the per-super-block float expression is the
// scalar one; with FMA contraction off (this file has -mfma) results equal the scalar kernels'.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
float q4_k_dot(int64_t n, const void* w, const void* xv) {
  const auto* a = static_cast<const BlockQ4_K*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  const __m256i low = _mm256_set1_epi8(0x0f);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    uint8_t sc[8], m[8];
    int summs = 0;
    for (int s = 0; s < 8; ++s) {
      scale_min_k4(s, a[i].scales, &sc[s], &m[s]);
      summs += m[s] * (x[i].bsums[2 * s] + x[i].bsums[2 * s + 1]);
    }
    __m256i acc = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs + 32 * c));
      const __m256i lo = _mm256_and_si256(q, low);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low);
      const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 64 * c));
      const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 64 * c + 32));
      // Codes are 0..15 so maddubs cannot saturate; the second madd applies the sub-block scale.
      const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, x0), _mm256_set1_epi16(sc[2 * c]));
      const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, x1), _mm256_set1_epi16(sc[2 * c + 1]));
      acc = _mm256_add_epi32(acc, _mm256_add_epi32(p0, p1));
    }
    const float d = x[i].d * fp16_to_fp32(a[i].d);
    const float dmin = x[i].d * fp16_to_fp32(a[i].dmin);
    sum += d * static_cast<float>(simd::hsum256_i32(acc)) - dmin * static_cast<float>(summs);
  }
  return sum;
}

float q6_k_dot(int64_t n, const void* w, const void* xv) {
  const auto* a = static_cast<const BlockQ6_K*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  const __m256i low = _mm256_set1_epi8(0x0f), three = _mm256_set1_epi8(3);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    // Codes are u - 32 with u in 0..63: dot(u, x) - 32 * (sum of x), the latter from bsums.
    int offset = 0;
    for (int s = 0; s < 16; ++s) offset += a[i].scales[s] * x[i].bsums[s];
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].ql + 64 * h));
      const __m256i q2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].ql + 64 * h + 32));
      const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qh + 32 * h));
      auto high = [&](int shift) {
        return _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, shift), three), 4);
      };
      const __m256i u[4] = {
          _mm256_or_si256(_mm256_and_si256(q1, low), high(0)),
          _mm256_or_si256(_mm256_and_si256(q2, low), high(2)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q1, 4), low), high(4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q2, 4), low), high(6)),
      };
      for (int k = 0; k < 4; ++k) {
        const __m256i xk = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 128 * h + 32 * k));
        const int s = 8 * h + 2 * k;  // the 32 bytes span sub-blocks s and s+1
        const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(a[i].scales[s + 1]), _mm_set1_epi16(a[i].scales[s]));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u[k], xk), scales));
      }
    }
    const int isum = simd::hsum256_i32(acc) - 32 * offset;
    sum += fp16_to_fp32(a[i].d) * x[i].d * static_cast<float>(isum);
  }
  return sum;
}

// Q2_K and Q3_K: 2-bit fields; element 128h + 32k + l sits in bits 2k..2k+1 of qs[32h + l].
inline __m256i two_bits(__m256i q, int k) {
  return _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), _mm256_set1_epi8(3));
}
inline __m256i pair_scales(int s0, int s1) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(s1)), _mm_set1_epi16(static_cast<int16_t>(s0)));
}

float q2_k_dot(int64_t n, const void* w, const void* xv) {
  const auto* a = static_cast<const BlockQ2_K*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    int summs = 0;
    for (int s = 0; s < 16; ++s) summs += (a[i].scales[s] >> 4) * x[i].bsums[s];
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs + 32 * h));
      for (int k = 0; k < 4; ++k) {
        const int s = 8 * h + 2 * k;
        const __m256i xk = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 128 * h + 32 * k));
        const __m256i sc = pair_scales(a[i].scales[s] & 0x0f, a[i].scales[s + 1] & 0x0f);
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(two_bits(q, k), xk), sc));
      }
    }
    const float dall = x[i].d * fp16_to_fp32(a[i].d);
    const float dmin = x[i].d * fp16_to_fp32(a[i].dmin);
    sum += dall * static_cast<float>(simd::hsum256_i32(acc)) - dmin * static_cast<float>(summs);
  }
  return sum;
}

float q3_k_dot(int64_t n, const void* w, const void* xv) {
  const auto* a = static_cast<const BlockQ3_K*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  const __m256i one = _mm256_set1_epi8(1);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    int8_t sc[16];
    unpack_q3_k_scales(a[i].scales, sc);
    // Codes are u - 4 with u = low bits + 4 * high bit in 0..7: dot(u, x) - 4 * bsum.
    int offset = 0;
    for (int s = 0; s < 16; ++s) offset += sc[s] * x[i].bsums[s];
    const __m256i hm = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].hmask));
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs + 32 * h));
      for (int k = 0; k < 4; ++k) {
        const int s = 8 * h + 2 * k;
        const __m256i hb = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, 4 * h + k), one), 2);
        const __m256i u = _mm256_or_si256(two_bits(q, k), hb);
        const __m256i xk = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 128 * h + 32 * k));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, xk), pair_scales(sc[s], sc[s + 1])));
      }
    }
    const int isum = simd::hsum256_i32(acc) - 4 * offset;
    sum += fp16_to_fp32(a[i].d) * x[i].d * static_cast<float>(isum);
  }
  return sum;
}

float q5_k_dot(int64_t n, const void* w, const void* xv) {
  const auto* a = static_cast<const BlockQ5_K*>(w);
  const auto* x = static_cast<const BlockQ8_K*>(xv);
  const __m256i low = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / QK_K; ++i) {
    uint8_t sc[8], m[8];
    int summs = 0;
    for (int s = 0; s < 8; ++s) {
      scale_min_k4(s, a[i].scales, &sc[s], &m[s]);
      summs += m[s] * (x[i].bsums[2 * s] + x[i].bsums[2 * s + 1]);
    }
    const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qh));
    __m256i acc = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs + 32 * c));
      // Fifth bit of the low-nibble codes is qh bit 2c, of the high-nibble codes bit 2c+1.
      const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * c), one), 4);
      const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * c + 1), one), 4);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, low), h0);
      const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), low), h1);
      const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 64 * c));
      const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 64 * c + 32));
      const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, x0), _mm256_set1_epi16(sc[2 * c]));
      const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, x1), _mm256_set1_epi16(sc[2 * c + 1]));
      acc = _mm256_add_epi32(acc, _mm256_add_epi32(p0, p1));
    }
    const float d = x[i].d * fp16_to_fp32(a[i].d);
    const float dmin = x[i].d * fp16_to_fp32(a[i].dmin);
    sum += d * static_cast<float>(simd::hsum256_i32(acc)) - dmin * static_cast<float>(summs);
  }
  return sum;
}

// 32-weight block types with a min or a fifth bit.
inline __m256i nibbles(const uint8_t* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(0x0f));
}

// Byte j = 0x10 when bit j of the 32-bit qh field is set, else 0.
inline __m256i fifth_bits(const uint8_t* qh4) { return _mm256_and_si256(simd::bit_mask32(qh4), _mm256_set1_epi8(0x10)); }

// Unsigned × signed bytes: 8 int32 lanes, lane j = bytes 4j..4j+3 (codes here are < 32).
inline __m256i dot_u8_i8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// These follow llama.cpp's x86 reduction: 8 float lanes, acc = fma(d_w*d_x, lane, acc) per block,
// min terms summed separately with fma, then lanes reduced and the min sum added. The golden
// logits come from that order, and these random-weight models amplify last-bit differences.
float q4_1_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ4_1*>(w);
  const auto* b = static_cast<const BlockQ8_1*>(x);
  __m256 acc = _mm256_setzero_ps();
  float summs = 0.0f;
  for (int64_t i = 0; i < n / QK4_1; ++i) {
    summs = std::fma(fp16_to_fp32(a[i].m), fp16_to_fp32(b[i].s), summs);
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d));
    const __m256i p = dot_u8_i8(nibbles(a[i].qs), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs)));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc);
  }
  return simd::hsum256(acc) + summs;
}

float q5_0_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_0*>(w);
  const auto* b = static_cast<const BlockQ8_0*>(x);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / QK5_0; ++i) {
    const __m256i q = _mm256_sub_epi8(_mm256_or_si256(nibbles(a[i].qs), fifth_bits(a[i].qh)), _mm256_set1_epi8(16));
    const __m256i xb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs));
    const __m256 d = _mm256_set1_ps(fp16_to_fp32(a[i].d) * fp16_to_fp32(b[i].d));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(simd::dot_i8(q, xb)), d, acc);
  }
  return simd::hsum256(acc);
}

float q5_1_dot(int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const BlockQ5_1*>(w);
  const auto* b = static_cast<const BlockQ8_1*>(x);
  __m256 acc = _mm256_setzero_ps();
  float summs = 0.0f;
  for (int64_t i = 0; i < n / QK5_1; ++i) {
    summs = std::fma(fp16_to_fp32(a[i].m), fp16_to_fp32(b[i].s), summs);
    const __m256i q = _mm256_or_si256(nibbles(a[i].qs), fifth_bits(a[i].qh));
    const __m256i p = dot_u8_i8(q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs)));
    const __m256 d = _mm256_mul_ps(_mm256_set1_ps(fp16_to_fp32(a[i].d)), _mm256_set1_ps(fp16_to_fp32(b[i].d)));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), d, acc);
  }
  return simd::hsum256(acc) + summs;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

}  // namespace

void register_avx2(KernelTable& t) {
  entry(t, Type::F32).vec_dot = simd::f32_dot<simd::Ymm>;  // dot_float.h
  entry(t, Type::F16).vec_dot = simd::f16_dot<simd::Ymm>;
  entry(t, Type::F16).to_float = simd::widen_f16<simd::Ymm>;
  entry(t, Type::F16).from_float_ref = f32_to_f16;
  entry(t, Type::F16).from_float_act = f32_to_f16;
  entry(t, Type::BF16).vec_dot = simd::bf16_dot<simd::Ymm>;
  entry(t, Type::Q8_0).vec_dot = q8_0_dot;
  entry(t, Type::Q4_0).vec_dot = q4_0_dot;
  entry(t, Type::Q4_K).vec_dot = q4_k_dot;
  entry(t, Type::Q6_K).vec_dot = q6_k_dot;
  entry(t, Type::Q5_K).vec_dot = q5_k_dot;
  entry(t, Type::Q2_K).vec_dot = q2_k_dot;
  entry(t, Type::Q3_K).vec_dot = q3_k_dot;
  entry(t, Type::Q4_1).vec_dot = q4_1_dot;
  entry(t, Type::Q5_0).vec_dot = q5_0_dot;
  entry(t, Type::Q5_1).vec_dot = q5_1_dot;
}

}  // namespace hearth::tensor
