// The interleaved weight layout (interleave.h): conversion both ways and the scalar reference
// kernels that define its results.
#include "tensor/interleave.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "tensor/blocks.h"
#include "tensor/dispatch.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"
#include "tensor/quant_k.h"

namespace hearth::tensor {
namespace {

constexpr int64_t kL = kInterleaveRows;

bool has_layout(Type t) {
  return t == Type::Q4_0 || t == Type::Q8_0 || t == Type::Q4_K || t == Type::Q5_K || t == Type::Q6_K;
}

// Q4_K group-block: d, dmin, unpacked scales and mins, then the code chunks (see interleave.h).
constexpr size_t kQ4KScales = 4 * kL, kQ4KMins = kQ4KScales + 8 * kL, kQ4KCodes = kQ4KMins + 8 * kL;
constexpr size_t kQ4KGroupBlock = kQ4KCodes + 32 * 4 * kL;
// Q5_K: Q4_K's group-block followed by the fifth bits' chunks (qh, 32 bytes a row).
constexpr size_t kQ5KHigh = kQ4KGroupBlock, kQ5KGroupBlock = kQ5KHigh + 8 * 4 * kL;

// Q6_K group-block: d, scale pairs, then the ql and qh chunks (see interleave.h); 16 rows' bytes.
constexpr size_t kQ6KScales = 2 * kL, kQ6KLow = kQ6KScales + 16 * kL, kQ6KHigh = kQ6KLow + 32 * 4 * kL;

size_t group_block_bytes(Type t) {
  if (t == Type::Q4_K) return kQ4KGroupBlock;
  if (t == Type::Q5_K) return kQ5KGroupBlock;
  return static_cast<size_t>(kL) * traits(t).type_size;
}

void check(Type type, int64_t rows, int64_t cols, const char* what) {
  if (!has_layout(type))
    fail(Errc::invalid_argument, std::string(what) + ": no interleaved layout for " + std::string(type_name(type)));
  const int64_t bs = traits(type).block_size;
  if (rows < 0 || rows % kL != 0 || cols < 0 || cols % bs != 0)
    fail(Errc::invalid_argument, std::string(what) + ": " + std::to_string(rows) + " x " + std::to_string(cols) +
                                     " is not a whole number of 16-row groups of " + std::to_string(bs) +
                                     "-element blocks");
}

// Where byte j of a block's codes sits for row l: chunk j/4, lane l. `base` is the first chunk.
inline size_t code_offset(size_t base, int64_t l, int64_t j) {
  return base + static_cast<size_t>(j / 4) * 4 * kL + static_cast<size_t>(l) * 4 + static_cast<size_t>(j % 4);
}

// Copies one 4-byte group of codes; Q8_0 codes flip between signed and stored (code + 128).
inline void copy4(Type t, uint8_t* dst, const uint8_t* src) {
  uint32_t v;
  std::memcpy(&v, src, 4);
  if (t == Type::Q8_0) v ^= 0x80808080u;
  std::memcpy(dst, &v, 4);
}

// One row's block <-> its lane of a group-block. Both directions share the offsets, so they are
// inverses by construction.
template <bool kToInterleaved>
void convert_block(Type t, int64_t l, uint8_t* row_block, uint8_t* group_block) {
  auto move = [](uint8_t* rb, uint8_t* gb, size_t n) {
    if constexpr (kToInterleaved) std::memcpy(gb, rb, n);
    else std::memcpy(rb, gb, n);
  };
  // Q4_K and Q5_K: d, dmin, unpacked scales and mins, the codes; Q5_K's fifth bits after them.
  auto scale_min = [&](auto* b) {
    move(reinterpret_cast<uint8_t*>(&b->d), group_block + 2 * l, 2);
    move(reinterpret_cast<uint8_t*>(&b->dmin), group_block + 2 * kL + 2 * l, 2);
    uint8_t sc[8], mn[8];
    if constexpr (kToInterleaved) {
      for (int j = 0; j < 8; ++j) scale_min_k4(j, b->scales, &sc[j], &mn[j]);
      for (int j = 0; j < 8; ++j) group_block[kQ4KScales + j * kL + l] = sc[j];
      for (int j = 0; j < 8; ++j) group_block[kQ4KMins + j * kL + l] = mn[j];
    } else {
      for (int j = 0; j < 8; ++j) sc[j] = group_block[kQ4KScales + j * kL + l];
      for (int j = 0; j < 8; ++j) mn[j] = group_block[kQ4KMins + j * kL + l];
      pack_scale_min(sc, mn, b->scales);
    }
    for (int64_t j = 0; j < QK_K / 2; j += 4) move(b->qs + j, group_block + code_offset(kQ4KCodes, l, j), 4);
  };
  if (t == Type::Q4_K) {
    scale_min(reinterpret_cast<BlockQ4_K*>(row_block));
    return;
  }
  if (t == Type::Q5_K) {
    auto* b = reinterpret_cast<BlockQ5_K*>(row_block);
    scale_min(b);
    for (int64_t j = 0; j < QK_K / 8; j += 4) move(b->qh + j, group_block + code_offset(kQ5KHigh, l, j), 4);
    return;
  }
  if (t == Type::Q6_K) {
    auto* b = reinterpret_cast<BlockQ6_K*>(row_block);
    move(reinterpret_cast<uint8_t*>(&b->d), group_block + 2 * l, 2);
    for (int p = 0; p < 8; ++p)
      move(reinterpret_cast<uint8_t*>(b->scales + 2 * p), group_block + kQ6KScales + 2 * kL * p + 2 * l, 2);
    for (int64_t j = 0; j < QK_K / 2; j += 4) move(b->ql + j, group_block + code_offset(kQ6KLow, l, j), 4);
    for (int64_t j = 0; j < QK_K / 4; j += 4) move(b->qh + j, group_block + code_offset(kQ6KHigh, l, j), 4);
    return;
  }
  move(row_block, group_block + 2 * l, 2);
  const int64_t nc = t == Type::Q4_0 ? QK4_0 / 2 : QK8_0;
  for (int64_t j = 0; j < nc; j += 4) {
    if constexpr (kToInterleaved) copy4(t, group_block + code_offset(2 * kL, l, j), row_block + 2 + j);
    else copy4(t, row_block + 2 + j, group_block + code_offset(2 * kL, l, j));
  }
}

template <bool kToInterleaved>
void convert(Type type, int64_t rows, int64_t cols, const void* src, void* dst) {
  const size_t rs = row_size(type, cols), bs = traits(type).type_size, gb = group_block_bytes(type);
  const int64_t nb = cols / traits(type).block_size;
  // The row-layout side is read (to interleaved) or written (back); cast once for both.
  auto* rowp = static_cast<uint8_t*>(const_cast<void*>(kToInterleaved ? src : static_cast<const void*>(dst)));
  auto* grpp = static_cast<uint8_t*>(const_cast<void*>(kToInterleaved ? static_cast<const void*>(dst) : src));
  for (int64_t g = 0; g < rows / kL; ++g)
    for (int64_t l = 0; l < kL; ++l)
      for (int64_t i = 0; i < nb; ++i)
        convert_block<kToInterleaved>(type, l, rowp + static_cast<size_t>(g * kL + l) * rs + static_cast<size_t>(i) * bs,
                                      grpp + static_cast<size_t>(g * nb + i) * gb);
}

// Q4_0 / Q8_0 reference: exact integer block sums, then one fma per block in order.
template <bool kQ4>
void gemm_interleaved_ref(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc,
                          float* y, int64_t ys) {
  const Type t = kQ4 ? Type::Q4_0 : Type::Q8_0;
  const size_t gb = group_block_bytes(t);
  const int64_t nb = n / QK8_0;
  for (int64_t g = 0; g < nr / kL; ++g) {
    const auto* wg = static_cast<const uint8_t*>(w) + static_cast<size_t>(g) * kL * ws;
    for (int64_t c = 0; c < nc; ++c) {
      const auto* xb = reinterpret_cast<const BlockQ8_0*>(static_cast<const uint8_t*>(x) + static_cast<size_t>(c) * xs);
      float acc[kL] = {};
      for (int64_t i = 0; i < nb; ++i) {
        const uint8_t* p = wg + static_cast<size_t>(i) * gb;
        const float dx = fp16_to_fp32(xb[i].d);
        for (int64_t l = 0; l < kL; ++l) {
          int32_t sum = 0;
          if constexpr (kQ4) {
            for (int64_t j = 0; j < QK4_0 / 2; ++j) {
              const uint8_t b = p[code_offset(2 * kL, l, j)];
              sum += ((b & 0x0f) - 8) * xb[i].qs[j] + ((b >> 4) - 8) * xb[i].qs[j + QK4_0 / 2];
            }
          } else {
            for (int64_t j = 0; j < QK8_0; ++j) sum += (p[code_offset(2 * kL, l, j)] - 128) * xb[i].qs[j];
          }
          uint16_t dh;
          std::memcpy(&dh, p + 2 * l, 2);
          acc[l] = std::fma(fp16_to_fp32(dh) * dx, static_cast<float>(sum), acc[l]);
        }
      }
      for (int64_t l = 0; l < kL; ++l) y[c * ys + g * kL + l] = acc[l];
    }
  }
}

// K-quant reference: each group back in row layout, through the scalar row kernel.
template <Type kType>
void gemm_interleaved_ref_k(int64_t n, const void* w, size_t ws, int64_t nr, const void* x, size_t xs, int64_t nc,
                            float* y, int64_t ys) {
  const vec_dot_fn dot = kernel_table(Isa::scalar)[static_cast<uint32_t>(kType)].vec_dot;
  const size_t rs = row_size(kType, n);
  std::vector<uint8_t> rows(static_cast<size_t>(kL) * rs);
  for (int64_t g = 0; g < nr / kL; ++g) {
    convert<false>(kType, kL, n, static_cast<const uint8_t*>(w) + static_cast<size_t>(g) * kL * ws, rows.data());
    for (int64_t c = 0; c < nc; ++c)
      for (int64_t l = 0; l < kL; ++l)
        y[c * ys + g * kL + l] = dot(n, rows.data() + static_cast<size_t>(l) * rs, static_cast<const uint8_t*>(x) + c * xs);
  }
}

}  // namespace

void register_interleaved(KernelTable& t) {
  entry(t, Type::Q4_0).gemm_interleaved = gemm_interleaved_ref<true>;
  entry(t, Type::Q8_0).gemm_interleaved = gemm_interleaved_ref<false>;
  entry(t, Type::Q4_K).gemm_interleaved = gemm_interleaved_ref_k<Type::Q4_K>;
  entry(t, Type::Q5_K).gemm_interleaved = gemm_interleaved_ref_k<Type::Q5_K>;
  entry(t, Type::Q6_K).gemm_interleaved = gemm_interleaved_ref_k<Type::Q6_K>;
}

size_t interleaved_size(Type type, int64_t rows, int64_t cols) {
  check(type, rows, cols, "interleaved_size");
  return static_cast<size_t>(rows / kL) * static_cast<size_t>(cols / traits(type).block_size) *
         group_block_bytes(type);
}

bool interleave_pays(const Kernels& kern, Type type, int64_t rows, int64_t cols) {
  if (!has_layout(type)) return false;
  if (rows <= 0 || rows % kL != 0 || cols <= 0 || cols % traits(type).block_size != 0) return false;
  return kern.table[static_cast<uint32_t>(type)].interleave_pays;
}

void interleave_rows(Type type, int64_t rows, int64_t cols, const void* src, void* dst) {
  check(type, rows, cols, "interleave_rows");
  convert<true>(type, rows, cols, src, dst);
}

void deinterleave_rows(Type type, int64_t rows, int64_t cols, const void* src, void* dst) {
  check(type, rows, cols, "deinterleave_rows");
  convert<false>(type, rows, cols, src, dst);
}

void deinterleave_row(Type type, int64_t cols, const void* src, int64_t row, void* dst) {
  check(type, kL, cols, "deinterleave_row");
  if (row < 0) fail(Errc::out_of_range, "deinterleave_row: negative row " + std::to_string(row));
  const size_t bs = traits(type).type_size, gb = group_block_bytes(type);
  const int64_t nb = cols / traits(type).block_size, g = row / kL, l = row % kL;
  auto* grp = static_cast<uint8_t*>(const_cast<void*>(src)) + static_cast<size_t>(g * nb) * gb;  // only read
  for (int64_t i = 0; i < nb; ++i)
    convert_block<false>(type, l, static_cast<uint8_t*>(dst) + static_cast<size_t>(i) * bs, grp + static_cast<size_t>(i) * gb);
}

}  // namespace hearth::tensor
