// The interleaved weight layout (interleave.h): conversion both ways and the scalar reference
// kernel that defines its results.
#include "tensor/interleave.h"

#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"
#include "tensor/blocks.h"
#include "tensor/dispatch.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

constexpr int64_t kL = kInterleaveRows;

// Code bytes per block and the stored form of a code byte.
int64_t code_bytes(Type t) { return t == Type::Q4_0 ? QK4_0 / 2 : QK8_0; }
// Copies one 4-byte group of codes; Q8_0 codes flip between signed and stored (code + 128).
inline void copy4(Type t, uint8_t* dst, const uint8_t* src) {
  uint32_t v;
  std::memcpy(&v, src, 4);
  if (t == Type::Q8_0) v ^= 0x80808080u;
  std::memcpy(dst, &v, 4);
}

void check(Type type, int64_t rows, int64_t cols, const char* what) {
  if (type != Type::Q4_0 && type != Type::Q8_0)
    fail(Errc::invalid_argument, std::string(what) + ": no interleaved layout for " + std::string(type_name(type)));
  if (rows < 0 || rows % kL != 0 || cols < 0 || cols % QK8_0 != 0)
    fail(Errc::invalid_argument, std::string(what) + ": " + std::to_string(rows) + " x " + std::to_string(cols) +
                                     " is not a whole number of 16-row groups of 32-element blocks");
}

// Where code byte j of row l's block sits inside its group-block. Both directions use it, so they
// are inverses by construction.
inline size_t group_block_bytes(Type t) { return static_cast<size_t>(kL) * traits(t).type_size; }
inline size_t code_offset(int64_t l, int64_t j) {
  return 2 * kL + static_cast<size_t>(j / 4) * 4 * kL + static_cast<size_t>(l) * 4 + static_cast<size_t>(j % 4);
}

template <bool kToInterleaved>
void convert(Type type, int64_t rows, int64_t cols, const void* src, void* dst) {
  const size_t rs = row_size(type, cols), bs = traits(type).type_size, gb = group_block_bytes(type);
  const int64_t nb = cols / QK8_0, nc = code_bytes(type);
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  for (int64_t g = 0; g < rows / kL; ++g) {
    const size_t base = static_cast<size_t>(g) * kL * rs;
    for (int64_t l = 0; l < kL; ++l)
      for (int64_t i = 0; i < nb; ++i) {
        const size_t row_block = base + static_cast<size_t>(l) * rs + static_cast<size_t>(i) * bs;  // d, then codes
        const size_t group_block = base + static_cast<size_t>(i) * gb;
        if constexpr (kToInterleaved) {
          std::memcpy(d + group_block + 2 * l, s + row_block, 2);
          for (int64_t j = 0; j < nc; j += 4) copy4(type, d + group_block + code_offset(l, j), s + row_block + 2 + j);
        } else {
          std::memcpy(d + row_block, s + group_block + 2 * l, 2);
          for (int64_t j = 0; j < nc; j += 4) copy4(type, d + row_block + 2 + j, s + group_block + code_offset(l, j));
        }
      }
  }
}

// The reference: exact integer block sums, then one fma per block in order (see interleave.h).
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
              const uint8_t b = p[code_offset(l, j)];
              sum += ((b & 0x0f) - 8) * xb[i].qs[j] + ((b >> 4) - 8) * xb[i].qs[j + QK4_0 / 2];
            }
          } else {
            for (int64_t j = 0; j < QK8_0; ++j) sum += (p[code_offset(l, j)] - 128) * xb[i].qs[j];
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

}  // namespace

void register_interleaved(KernelTable& t) {
  entry(t, Type::Q4_0).gemm_interleaved = gemm_interleaved_ref<true>;
  entry(t, Type::Q8_0).gemm_interleaved = gemm_interleaved_ref<false>;
}

bool interleave_pays(Type type, int64_t rows, int64_t cols) {
  if (type != Type::Q4_0 && type != Type::Q8_0) return false;
  if (rows <= 0 || rows % kL != 0 || cols <= 0 || cols % QK8_0 != 0) return false;
  return active_kernels()[static_cast<uint32_t>(type)].interleave_pays;
}

void interleave_rows(Type type, int64_t rows, int64_t cols, const void* src, void* dst) {
  check(type, rows, cols, "interleave_rows");
  convert<true>(type, rows, cols, src, dst);
}

void deinterleave_rows(Type type, int64_t rows, int64_t cols, const void* src, void* dst) {
  check(type, rows, cols, "deinterleave_rows");
  convert<false>(type, rows, cols, src, dst);
}

}  // namespace hearth::tensor
