// Kernels for Q4_0, Q8_0, Q4_K, Q5_K and Q6_K weights in the interleaved layout (interleave.h),
// one source for every SIMD tier: each is written once against a vector type V (simd_vec.h) and
// compiled per tier by gemm_interleaved_<tier>.cpp, Ymm for avx2 and avx2+vnni, Zmm for avx512,
// avx512+vnni and avx512+bf16 (each copy has internal linkage).
// Lane l of a register belongs to one weight row, so no horizontal sums are needed; a 16-row
// group is V::kParts registers wide (two 8-row parts at 256 bits, one at 512). Without VNNI the
// u8 x s8 products go through vpmaddubsw (16-bit pair sums) and vpmaddwd; the codes are small
// enough that several chunks' pair sums stay exact in 16 bits before widening (each place states
// its bound; activations are within [-128, 127]). With VNNI one vpdpbusd adds 4 products per
// 32-bit lane, exactly. Integer sums are exact either way and the float steps are the ones
// interleave.h defines, so Q4_0 and Q8_0 equal the scalar reference bit for bit, and the K-quants
// equal the tier's row kernels, on every tier.
#pragma once
#include <immintrin.h>

#include <cstring>

#include "tensor/blocks.h"
#include "tensor/gemm_interleaved_driver.h"
#include "tensor/interleave.h"
#include "tensor/kernels.h"
#include "tensor/simd_vec.h"

// The K-quant float expressions must not be contracted into FMAs: they mirror the row kernels.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace hearth::tensor {
namespace {

// Parts of a group a tile takes at once. One or two tokens take every part (the group's bytes are
// read once, which generation needs); with 16 registers more tokens take one part at a time, so
// the accumulators of a part fit.
template <class V, int C>
constexpr int parts_together() {
  return C <= 2 ? V::kParts : 1;
}

// ---- Q4_0 and Q8_0 -----------------------------------------------------------------------------
// Per token and block: the offset correction (codes are stored as q + 8 for Q4_0, so the exact
// sum is sum(u * x) - 8 * sum(x)) and the activation scale. Q8_0's codes are stored as q + 128:
// with VNNI they are used as they are and corrected the same way; without, (q + 128) x pairs could
// reach 65280, past vpmaddubsw's 16 bits, so they are turned back into q, whose sign moves onto the
// activations (V::sdot), and need no correction.
template <class V, bool kQ4>
void token_terms(const BlockQ8_0* x, int64_t nb, int32_t* corr, float* dx) {
  constexpr int32_t kOffset = kQ4 ? 8 : (V::kVnni ? 128 : 0);
  if constexpr (kOffset != 0) {
    V::code_sums(x, nb, corr);
    for (int64_t i = 0; i < nb; ++i) corr[i] *= -kOffset;
  } else {
    for (int64_t i = 0; i < nb; ++i) corr[i] = 0;
  }
  for (int64_t i = 0; i < nb; ++i) dx[i] = _cvtsh_ss(x[i].d);
}

template <class V, bool kQ4, int C, int NH>
void q_tile(const uint8_t* w, int64_t nb, int h0, const BlockQ8_0* const* xr, const int32_t* corr, const float* dx,
            float* y, int64_t ys) {
  using I = typename V::I;
  using F = typename V::F;
  constexpr int kR = V::kRows;
  constexpr size_t gb = kInterleaveRows * (kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0));
  const I low = V::set8(0x0f), ones16 = V::set16(1), flip = V::set8(-128);
  F acc[NH][C];
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) acc[h][c] = V::fzero();
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* p = w + static_cast<size_t>(i) * gb;
    if constexpr (C == 1) prefetch_block(p, gb);
    // Chunk k of part h: 4 codes per row, for the part's kR rows.
    auto chunk = [&](int k, int h) { return V::load(p + 32 + 64 * k + 4 * kR * (h0 + h)); };
    I sum[NH][C];
    if constexpr (V::kVnni) {
      for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c) sum[h][c] = V::set32(corr[c * nb + i]);
      for (int k = 0; k < (kQ4 ? 4 : 8); ++k) {
        I lo[NH], hi[NH];
        for (int h = 0; h < NH; ++h) {
          const I v = chunk(k, h);
          lo[h] = kQ4 ? V::and_(v, low) : v;
          if constexpr (kQ4) hi[h] = V::and_(V::template srli16<4>(v), low);
        }
        for (int c = 0; c < C; ++c) {
          const I xl = V::bcast32(xr[c][i].qs + 4 * k);
          for (int h = 0; h < NH; ++h) sum[h][c] = V::dpbusd(sum[h][c], lo[h], xl);
          if constexpr (kQ4) {
            const I xh = V::bcast32(xr[c][i].qs + 16 + 4 * k);
            for (int h = 0; h < NH; ++h) sum[h][c] = V::dpbusd(sum[h][c], hi[h], xh);
          }
        }
      }
    } else if constexpr (kQ4) {
      // Each 16-bit lane adds 16 products of a code (0..15) and an activation: |sum| <= 30720.
      I s16[NH][C];
      for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c) s16[h][c] = V::zero();
      // GCC unrolling this loop (chunks x 4 tokens of 16-bit sums) ran out of AVX2's 16 registers
      // and kept the sums on the stack. Kept rolled, prompts ran faster on Zen 5 (pp512, 2
      // threads: Q4_0 126-129 -> 164-165 t/s; unrolled by 2: no change).
      _Pragma("GCC unroll 1")
      for (int k = 0; k < 4; ++k) {
        I lo[NH], hi[NH];
        for (int h = 0; h < NH; ++h) {
          const I v = chunk(k, h);
          lo[h] = V::and_(v, low);
          hi[h] = V::and_(V::template srli16<4>(v), low);
        }
        for (int c = 0; c < C; ++c) {
          const I xl = V::bcast32(xr[c][i].qs + 4 * k), xh = V::bcast32(xr[c][i].qs + 16 + 4 * k);
          for (int h = 0; h < NH; ++h)
            s16[h][c] = V::add16(s16[h][c], V::add16(V::maddubs(lo[h], xl), V::maddubs(hi[h], xh)));
        }
      }
      for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c) sum[h][c] = V::add32(V::madd(s16[h][c], ones16), V::set32(corr[c * nb + i]));
    } else {
      for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c) sum[h][c] = V::zero();
      // Unrolled by 2: fully unrolled, GCC spilled the float accumulators and 2 of the chunks
      // (AVX2 pp512 on Zen 5, binaries alternated: 112-120 fully, 123-131 by 2 or by 4; rolled was
      // slower still).
      _Pragma("GCC unroll 2")
      for (int k = 0; k < 8; ++k) {
        I aq[NH];
        typename V::Sign sq[NH];
        for (int h = 0; h < NH; ++h) {
          const I q = V::xor_(chunk(k, h), flip);
          aq[h] = V::abs8(q);
          sq[h] = V::sign_of(q);
        }
        for (int c = 0; c < C; ++c) {
          const I xv = V::bcast32(xr[c][i].qs + 4 * k);
          for (int h = 0; h < NH; ++h) sum[h][c] = V::sdot(sum[h][c], aq[h], sq[h], xv);
        }
      }
    }
    for (int h = 0; h < NH; ++h) {
      const F dw = V::halves(p + 2 * kR * (h0 + h));
      for (int c = 0; c < C; ++c)
        acc[h][c] = V::fmadd(V::fmul(dw, V::fset(dx[c * nb + i])), V::to_float(sum[h][c]), acc[h][c]);
    }
  }
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) V::store(y + c * ys + kR * (h0 + h), acc[h][c]);
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

// Codes of sub-block 2k + kNib (nibble kNib of chunk q of pair k), rows of part h; Q5_K's fifth
// bit (qh bit 2k + kNib) moved to bit 4. The 16-bit shifts keep each bit inside its byte.
template <class V, bool kQ5, int kNib>
inline typename V::I k_codes(const uint8_t* p, int k, int q, int h) {
  using I = typename V::I;
  const I v = V::load(p + kQ4KCodes + 64 * (8 * k + q) + 4 * V::kRows * h);
  I u = V::and_(kNib ? V::template srli16<4>(v) : v, V::set8(0x0f));
  if constexpr (kQ5) {
    const I qh = V::srl16(V::load(p + kQ5KHigh + 64 * q + 4 * V::kRows * h), 2 * k);
    u = V::or_(u, V::and_(kNib ? V::template slli16<3>(qh) : V::template slli16<4>(qh), V::set8(0x10)));
  }
  return u;
}

// A K-quant field with one byte per row (scales, mins) of sub-block j: part h's bytes as int32.
template <class V>
inline typename V::I k_row_bytes(const uint8_t* field, int j, int h) {
  return V::u8_lanes(field + 16 * j + V::kRows * h);
}

// m[0] + .. + m[N - 1] in 16 bits, as a tree (written out: GCC keeps a strided loop rolled).
template <class V, int N>
inline typename V::I add16_tree(const typename V::I* m) {
  if constexpr (N == 1) return m[0];
  else return V::add16(add16_tree<V, N / 2>(m), add16_tree<V, N - N / 2>(m + N / 2));
}

// The N chunks' vpmaddubsw against a token's activations xq.., summed in 16 bits.
template <class V, int N>
inline typename V::I maddubs_sum(const typename V::I* u, const int8_t* xq) {
  typename V::I m[N];
  for (int q = 0; q < N; ++q) m[q] = V::maddubs(u[q], V::bcast32(xq + 4 * q));
  return add16_tree<V, N>(m);
}

// Without VNNI: sub-block 2k + kNib of parts h0.. against every token, added to isum, four chunks
// at a time: their codes stay in registers while each token's four vpmaddubsw are summed in 16 bits
// (8 products of a code and an activation per lane: 8 x 31 x 128 = 31744 for 5-bit codes) and
// scaled by one vpmaddwd (the scale in both int16 halves of the lane). The loop carries one 32-bit
// sum per token. Keeping two 16-bit sums per token over a sub-block pair instead (the VNNI form)
// needs more than 16 registers at 4 tokens: GCC spilled them and copied the rest every chunk
// (pp512 Q4_K_M on Zen 5, AVX2, binaries alternated: 143-162 -> 156-177 t/s; eight chunks per
// sum: 148-152 where four gave 156).
template <class V, bool kQ5, int kNib, int C, int NH>
inline void k_sub_block_maddubs(const uint8_t* p, int h0, int k, const BlockQ8_K* const* xr, int64_t i,
                                typename V::I (*isum)[C]) {
  using I = typename V::I;
  constexpr int kSpan = 4;
  const int j = 2 * k + kNib;
  for (int h = 0; h < NH; ++h) {
    I sc = k_row_bytes<V>(p + kQ4KScales, j, h0 + h);
    sc = V::or_(sc, V::template slli32<16>(sc));
    for (int q0 = 0; q0 < 8; q0 += kSpan) {
      I u[kSpan];
      for (int q = 0; q < kSpan; ++q) u[q] = k_codes<V, kQ5, kNib>(p, k, q0 + q, h0 + h);
      for (int c = 0; c < C; ++c) {
        const int8_t* xq = xr[c][i].qs + 32 * j + 4 * q0;
        isum[h][c] = V::add32(isum[h][c], V::madd(maddubs_sum<V, kSpan>(u, xq), sc));
      }
    }
  }
}

// With VNNI, 16 registers: sub-blocks 2k and 2k+1 in 32-bit sums over all 32 elements, then
// times their scales (vpmulld).
template <class V, bool kQ5, int C, int NH>
inline void k_pair_vnni(const uint8_t* p, int h0, int k, const BlockQ8_K* const* xr, int64_t i,
                        typename V::I (*isum)[C]) {
  using I = typename V::I;
  I slo[NH][C], shi[NH][C];
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) slo[h][c] = shi[h][c] = V::zero();
  for (int q = 0; q < 8; ++q) {
    I lo[NH], hi[NH];
    for (int h = 0; h < NH; ++h) {
      lo[h] = k_codes<V, kQ5, 0>(p, k, q, h0 + h);
      hi[h] = k_codes<V, kQ5, 1>(p, k, q, h0 + h);
    }
    for (int c = 0; c < C; ++c) {
      const int8_t* xq = xr[c][i].qs + 64 * k + 4 * q;
      const I xl = V::bcast32(xq), xh = V::bcast32(xq + 32);
      for (int h = 0; h < NH; ++h) {
        slo[h][c] = V::dpbusd(slo[h][c], lo[h], xl);
        shi[h][c] = V::dpbusd(shi[h][c], hi[h], xh);
      }
    }
  }
  for (int h = 0; h < NH; ++h) {
    const I sl = k_row_bytes<V>(p + kQ4KScales, 2 * k, h0 + h);
    const I sh = k_row_bytes<V>(p + kQ4KScales, 2 * k + 1, h0 + h);
    for (int c = 0; c < C; ++c)
      isum[h][c] = V::add32(isum[h][c], V::add32(V::mullo32(slo[h][c], sl), V::mullo32(shi[h][c], sh)));
  }
}

// With V::kChains (32 registers, 8 tokens, where the pair sums above would not fit): short dpbusd
// chains, each scaled at once by vpdpwssd against [scale, 0] int16 pairs, exact while the chain
// stays below 2^15: 16 elements of 4-bit codes (16 x 15 x 128), 8 of Q5_K's 5-bit codes (8 x 31 x 128).
// Without VNNI dpbusd is vpmaddubsw + vpmaddwd (pairs of products <= 2 x 31 x 128). One token
// (generation) takes these chains there too, and Q6_K its dpbusd form (q6_dpbusd): with the 16-bit
// sums Q4_K_M tg128 on Zen 5's avx512 tier fell from 41-44 to 31-37 t/s (4 alternated rounds),
// while prompts gained (pp512 Q4_K_M 148-158 -> 214-218 t/s, Q4_0 165-172 -> 213-217).
template <class V, bool kQ5, int C, int NH>
inline void k_pair_chains(const uint8_t* p, int h0, int k, const BlockQ8_K* const* xr, int64_t i,
                          typename V::I (*isum)[C]) {
  using I = typename V::I;
  constexpr int kChain = kQ5 ? 2 : 4;
  for (int h = 0; h < NH; ++h) {
    const I sl = k_row_bytes<V>(p + kQ4KScales, 2 * k, h0 + h);
    const I sh = k_row_bytes<V>(p + kQ4KScales, 2 * k + 1, h0 + h);
    for (int e = 0; e < 2; ++e) {  // elements 16e..16e+15 of both sub-blocks: chunks 8k+4e+q
      I lo[4], hi[4];
      for (int q = 0; q < 4; ++q) {
        lo[q] = k_codes<V, kQ5, 0>(p, k, 4 * e + q, h0 + h);
        hi[q] = k_codes<V, kQ5, 1>(p, k, 4 * e + q, h0 + h);
      }
      for (int c = 0; c < C; ++c) {
        const int8_t* xq = xr[c][i].qs + 64 * k + 16 * e;
        for (int q0 = 0; q0 < 4; q0 += kChain) {
          I pl = V::zero(), ph = V::zero();
          for (int q = q0; q < q0 + kChain; ++q) {
            pl = V::dpbusd(pl, lo[q], V::bcast32(xq + 4 * q));
            ph = V::dpbusd(ph, hi[q], V::bcast32(xq + 32 + 4 * q));
          }
          isum[h][c] = V::dpwssd(V::dpwssd(isum[h][c], pl, sl), ph, sh);
        }
      }
    }
  }
}

// As the row kernels: isum = sum_j scale_j * dot_j and summs = sum_j min_j * pair_j, both exact,
// then sum += (xd * d) * isum - (xd * dmin) * summs per super-block. One source for Q4_K (codes
// 0..15) and Q5_K (0..31, the fifth bit from qh).
template <class V, bool kQ5, int C, int NH>
void k_scale_min_tile(const uint8_t* w, int64_t nb, int h0, const BlockQ8_K* const* xr, const int32_t* pairs,
                      const float* xd, float* y, int64_t ys) {
  using I = typename V::I;
  using F = typename V::F;
  constexpr int kR = V::kRows;
  constexpr size_t gb = kQ5 ? kQ5KGroupBlock : kQ4KGroupBlock;
  F acc[NH][C];
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) acc[h][c] = V::fzero();
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* p = w + static_cast<size_t>(i) * gb;
    if constexpr (C == 1) prefetch_block(p, gb);
    I isum[NH][C];
    for (int h = 0; h < NH; ++h)
      for (int c = 0; c < C; ++c) isum[h][c] = V::zero();
    for (int k = 0; k < 4; ++k) {  // sub-blocks 2k (low nibbles of chunks 8k..8k+7) and 2k+1 (high)
      if constexpr (V::kChains && (V::kVnni || C == 1)) {
        k_pair_chains<V, kQ5, C, NH>(p, h0, k, xr, i, isum);
      } else if constexpr (V::kVnni) {
        k_pair_vnni<V, kQ5, C, NH>(p, h0, k, xr, i, isum);
      } else {
        k_sub_block_maddubs<V, kQ5, 0, C, NH>(p, h0, k, xr, i, isum);
        k_sub_block_maddubs<V, kQ5, 1, C, NH>(p, h0, k, xr, i, isum);
      }
    }
    for (int h = 0; h < NH; ++h) {
      // Mins of sub-blocks j and j+1 as the two int16 halves of a lane, against the token's pairs.
      I mins[4];
      for (int j = 0; j < 8; j += 2)
        mins[j / 2] = V::or_(k_row_bytes<V>(p + kQ4KMins, j, h0 + h),
                             V::template slli32<16>(k_row_bytes<V>(p + kQ4KMins, j + 1, h0 + h)));
      const F dw = V::halves(p + 2 * kR * (h0 + h)), dmw = V::halves(p + 32 + 2 * kR * (h0 + h));
      for (int c = 0; c < C; ++c) {
        const int32_t* pr = pairs + (c * nb + i) * 4;
        I summs = V::zero();
        for (int j = 0; j < 4; ++j) summs = V::dpwssd(summs, mins[j], V::set32(pr[j]));
        const F xv = V::fset(xd[c * nb + i]);
        const F t = V::fsub(V::fmul(V::fmul(xv, dw), V::to_float(isum[h][c])),
                            V::fmul(V::fmul(xv, dmw), V::to_float(summs)));
        acc[h][c] = V::fadd(acc[h][c], t);
      }
    }
  }
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) V::store(y + c * ys + kR * (h0 + h), acc[h][c]);
}

// ---- Q6_K --------------------------------------------------------------------------------------
constexpr size_t kQ6KScales = 32, kQ6KLow = 288, kQ6KHigh = 2336, kQ6KGroupBlock = 3360;  // interleave.h

void token_terms_q6_k(const BlockQ8_K* x, int64_t nb, int32_t*, float* xd) {
  for (int64_t i = 0; i < nb; ++i) xd[i] = x[i].d;
}

// Codes u = q + 32 (0..63) of 4 elements per lane, rows of part h. Kind k of super-block half s,
// chunk t holds elements 128s + 32k + 4t..+3: low bits from ql (k odd: the second 32 bytes of the
// half; k >= 2 the high nibbles), high bits from qh bits 2k, 2k+1.
template <class V, int kKind>
inline typename V::I q6_codes(const uint8_t* p, int s, int t, int h) {
  using I = typename V::I;
  const I ql = V::load(p + kQ6KLow + 64 * (16 * s + 8 * (kKind & 1) + t) + 4 * V::kRows * h);
  const I qh = V::load(p + kQ6KHigh + 64 * (8 * s + t) + 4 * V::kRows * h);
  const I lo = kKind >= 2 ? V::template srli16<4>(ql) : ql;
  I hi;
  if constexpr (kKind == 0) hi = V::template slli16<4>(qh);
  else if constexpr (kKind == 1) hi = V::template slli16<2>(qh);
  else if constexpr (kKind == 2) hi = qh;
  else hi = V::template srli16<2>(qh);
  return V::or_(V::and_(lo, V::set8(0x0f)), V::and_(hi, V::set8(0x30)));
}

// Whether Q6_K takes dpbusd chains and vpmulld (else 16-bit sums and vpmaddwd): see k_pair_chains.
template <class V, int C>
constexpr bool q6_dpbusd() {
  return V::kVnni || (V::kChains && C == 1);
}

// One 16-element sub-block of kind kKind: two vpmaddubsw summed in 16 bits (4 products of a code
// 0..63 and an activation: |sum| <= 32256), then vpmaddwd against the sub-block's scale (in both
// int16 halves of the lane). With VNNI: four vpdpbusd, then vpmulld (the scale as one int32).
template <class V, int C, int NH, int kKind>
inline void q6_kind(const uint8_t* p, int h0, int s, int s4, const BlockQ8_K* const* xr, int64_t i,
                    const typename V::I* scale, typename V::I (*isum)[C]) {
  using I = typename V::I;
  for (int h = 0; h < NH; ++h) {
    I u[4];
    for (int t = 0; t < 4; ++t) u[t] = q6_codes<V, kKind>(p, s, 4 * s4 + t, h0 + h);
    for (int c = 0; c < C; ++c) {
      const int8_t* xq = xr[c][i].qs + 128 * s + 32 * kKind + 16 * s4;
      if constexpr (q6_dpbusd<V, C>()) {  // the 16 products in 32 bits, then times the scale
        I d = V::dpbusd(V::zero(), u[0], V::bcast32(xq));
        d = V::dpbusd(d, u[1], V::bcast32(xq + 4));
        d = V::dpbusd(d, u[2], V::bcast32(xq + 8));
        d = V::dpbusd(d, u[3], V::bcast32(xq + 12));
        isum[h][c] = V::add32(isum[h][c], V::mullo32(d, scale[h]));
      } else {
        const I a = V::add16(V::maddubs(u[0], V::bcast32(xq)), V::maddubs(u[1], V::bcast32(xq + 4)));
        const I b = V::add16(V::maddubs(u[2], V::bcast32(xq + 8)), V::maddubs(u[3], V::bcast32(xq + 12)));
        isum[h][c] = V::add32(isum[h][c], V::add32(V::madd(a, scale[h]), V::madd(b, scale[h])));
      }
    }
  }
}

// As the row kernel: isum = sum_j scale_j * (sum of u * x over sub-block j) - 32 * sum_j scale_j *
// bsums_j, exact, then sum += (d * xd) * isum per super-block.
template <class V, int C, int NH>
void q6_k_tile(const uint8_t* w, int64_t nb, int h0, const BlockQ8_K* const* xr, const int32_t*, const float* xd,
               float* y, int64_t ys) {
  using I = typename V::I;
  using F = typename V::F;
  constexpr int kR = V::kRows;
  F acc[NH][C];
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) acc[h][c] = V::fzero();
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* p = w + static_cast<size_t>(i) * kQ6KGroupBlock;
    if constexpr (C == 1) prefetch_block(p, kQ6KGroupBlock);
    // Scale pair q of part h: lane l = row l's int8 scales 2q and 2q+1 as two int16.
    auto pair = [&](int q, int h) { return V::i8_pairs(p + kQ6KScales + 32 * q + 2 * kR * h); };
    I isum[NH][C];
    for (int h = 0; h < NH; ++h)
      for (int c = 0; c < C; ++c) {
        I off = V::zero();
        for (int q = 0; q < 8; ++q) {
          int32_t bs;
          std::memcpy(&bs, xr[c][i].bsums + 2 * q, 4);
          off = V::dpwssd(off, pair(q, h0 + h), V::set32(bs));
        }
        isum[h][c] = V::sub32(V::zero(), V::template slli32<5>(off));
      }
    for (int s = 0; s < 2; ++s)
      for (int s4 = 0; s4 < 2; ++s4) {
        // Sub-block of kind k: 8s + 2k + s4, in pair 4s + k (its low int16 if s4 == 0): as one
        // int32 (VNNI) or copied into both int16 halves of the lane.
        auto scale = [&](int k, I* out) {
          for (int h = 0; h < NH; ++h) {
            const I v = pair(4 * s + k, h0 + h);
            if constexpr (q6_dpbusd<V, C>())
              out[h] = s4 == 0 ? V::template srai32<16>(V::template slli32<16>(v)) : V::template srai32<16>(v);
            else
              out[h] = s4 == 0 ? V::template dup16<false>(v) : V::template dup16<true>(v);
          }
        };
        I sc[NH];
        scale(0, sc);
        q6_kind<V, C, NH, 0>(p, h0, s, s4, xr, i, sc, isum);
        scale(1, sc);
        q6_kind<V, C, NH, 1>(p, h0, s, s4, xr, i, sc, isum);
        scale(2, sc);
        q6_kind<V, C, NH, 2>(p, h0, s, s4, xr, i, sc, isum);
        scale(3, sc);
        q6_kind<V, C, NH, 3>(p, h0, s, s4, xr, i, sc, isum);
      }
    for (int h = 0; h < NH; ++h) {
      const F dw = V::halves(p + 2 * kR * (h0 + h));
      for (int c = 0; c < C; ++c)
        acc[h][c] = V::fadd(acc[h][c], V::fmul(V::fmul(dw, V::fset(xd[c * nb + i])), V::to_float(isum[h][c])));
    }
  }
  for (int h = 0; h < NH; ++h)
    for (int c = 0; c < C; ++c) V::store(y + c * ys + kR * (h0 + h), acc[h][c]);
}

// ---- the driver's descriptions (gemm_interleaved_driver.h) -------------------------------------
// Tokens per tile: V::kTokens, what the accumulators of 16 or 32 registers hold (Zmm: 8; measured
// on Zen 5, Q4_0 pp512: 6 tokens 3% slower, 12 tokens 15% slower from spills).
template <class V, bool kQ4>
struct QBlocks {
  using X = BlockQ8_0;
  static constexpr int64_t kBlock = QK8_0, kInts = 1;
  static constexpr int kTokens = V::kTokens;
  static void terms(const X* x, int64_t nb, int32_t* ints, float* floats) { token_terms<V, kQ4>(x, nb, ints, floats); }
  template <int C>
  static void tile(const uint8_t* w, int64_t nb, const X* const* xr, const int32_t* ints, const float* floats,
                   float* y, int64_t ys) {
    constexpr int nh = parts_together<V, C>();
    for (int h0 = 0; h0 < V::kParts; h0 += nh) q_tile<V, kQ4, C, nh>(w, nb, h0, xr, ints, floats, y, ys);
  }
};

template <class V, bool kQ5>
struct KScaleMinBlocks {
  using X = BlockQ8_K;
  static constexpr int64_t kBlock = QK_K, kInts = 4;
  static constexpr int kTokens = V::kTokens;
  static void terms(const X* x, int64_t nb, int32_t* ints, float* floats) { token_terms_q4_k(x, nb, ints, floats); }
  template <int C>
  static void tile(const uint8_t* w, int64_t nb, const X* const* xr, const int32_t* ints, const float* floats,
                   float* y, int64_t ys) {
    constexpr int nh = parts_together<V, C>();
    for (int h0 = 0; h0 < V::kParts; h0 += nh) k_scale_min_tile<V, kQ5, C, nh>(w, nb, h0, xr, ints, floats, y, ys);
  }
};

template <class V>
struct Q6KBlocks {
  using X = BlockQ8_K;
  static constexpr int64_t kBlock = QK_K, kInts = 0;
  // With 16 registers and no VNNI a group's codes take more work to unpack than its products (two
  // loads, shifts and masks per chunk), so 8 tokens share them: pp512 of an all-Q6_K file on Zen 5,
  // medians of 5 alternated runs, 123 -> 136 t/s. (Q4_K and Q8_0 gained nothing from 8.)
  static constexpr int kTokens = V::kVnni ? V::kTokens : 8;
  static void terms(const X* x, int64_t nb, int32_t* ints, float* floats) { token_terms_q6_k(x, nb, ints, floats); }
  template <int C>
  static void tile(const uint8_t* w, int64_t nb, const X* const* xr, const int32_t* ints, const float* floats,
                   float* y, int64_t ys) {
    constexpr int nh = parts_together<V, C>();
    for (int h0 = 0; h0 < V::kParts; h0 += nh) q6_k_tile<V, C, nh>(w, nb, h0, xr, ints, floats, y, ys);
  }
};

// Fills the table of the tier this copy is compiled for, with the kernels for vector type V.
template <class V>
void fill_gemm_interleaved(KernelTable& t) {
  entry(t, Type::Q4_0).gemm_interleaved = gemm_interleaved<QBlocks<V, true>>;
  entry(t, Type::Q8_0).gemm_interleaved = gemm_interleaved<QBlocks<V, false>>;
  entry(t, Type::Q4_K).gemm_interleaved = gemm_interleaved<KScaleMinBlocks<V, false>>;
  entry(t, Type::Q5_K).gemm_interleaved = gemm_interleaved<KScaleMinBlocks<V, true>>;
  entry(t, Type::Q6_K).gemm_interleaved = gemm_interleaved<Q6KBlocks<V>>;
  for (Type type : {Type::Q4_0, Type::Q8_0, Type::Q4_K, Type::Q5_K, Type::Q6_K}) entry(t, type).interleave_pays = true;
}

}  // namespace
}  // namespace hearth::tensor
