// Weights interleaved 16 rows at a time, for kernels where one SIMD lane holds one weight row.
//
// ggml stores a weight row by row, so a dot product ends with a horizontal sum per block and
// per (row, token) pair. Interleaving 16 rows puts row l's 4-byte groups in lane l of a 512-bit
// register: one multiply-add then advances 16 rows at once against 4 activation bytes
// broadcast to every lane, and a block's scale applies to 16 rows in one instruction.
//
// Layout (Q4_0 and Q8_0): a group of 16 rows keeps the rows' bytes (16 x row_size(type, cols),
// so the size is unchanged) as consecutive group-blocks, one per 32-element block index:
//   32 bytes   the 16 rows' fp16 scales, row l at byte 2l;
//   then       chunks of 64 bytes: chunk k, lane l = bytes 4k..4k+3 of row l's block codes.
// Q4_0 has 4 chunks holding the packed nibbles as they are (low nibbles are elements 4k..4k+3,
// high nibbles 16+4k..16+4k+3). Q8_0 has 8 chunks of codes stored as unsigned (code + 128), the
// operand order the VNNI instruction wants. Results are defined per (row, token) as: per block,
// the exact integer dot product; then acc = fma(d_w * d_x, float(sum), acc) over the blocks in
// order. The scalar reference and the AVX-512 kernel compute exactly that.
//
// Layout (Q4_K): one group-block per 256-element super-block, 2368 bytes for 16 rows (2304 in
// row layout; the 6-bit scales and mins are stored unpacked so no lane has to unpack them):
//   32 + 32    the rows' fp16 d, then dmin;
//   8 x 16     scale of sub-block j for the 16 rows (one byte each), then 8 x 16 for the mins;
//   32 x 64    chunk m, lane l = bytes 4m..4m+3 of row l's 128 code bytes.
//
// Layout (Q5_K): Q4_K's group-block, then 8 x 64 for the fifth bits (chunk m, lane l = bytes
// 4m..4m+3 of row l's qh): 2880 bytes for 16 rows (2816 in row layout).
//
// Layout (Q6_K): one group-block per super-block, the rows' bytes rearranged (3360 bytes):
//   32         the rows' fp16 d;
//   8 x 32     scale pair p: lane l = row l's int8 scales 2p and 2p+1;
//   32 x 64    ql chunk m, lane l = bytes 4m..4m+3 of row l's ql; then 16 x 64 for qh.
// K-quant results equal the row layout's AVX-512 kernel bit for bit (same exact integer sums,
// same float expression per super-block), and track the scalar kernel within rounding.
//
// In every case one token and a batch give identical values.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tensor/types.h"

namespace hearth::tensor {

enum class Layout : uint8_t { rows, interleaved16 };

constexpr int64_t kInterleaveRows = 16;

// True when `type` has an interleaved layout and `kernels` compute it faster than the row
// layout, for a weight of this shape (rows a multiple of 16).
struct Kernels;
bool interleave_pays(const Kernels& kernels, Type type, int64_t rows, int64_t cols);

// Bytes of a rows x cols weight in the interleaved layout (rows a multiple of 16).
size_t interleaved_size(Type type, int64_t rows, int64_t cols);

// Row layout -> interleaved layout, and back; `src` and `dst` hold rows * row_size(type, cols)
// and interleaved_size(type, rows, cols) bytes (the other way round for deinterleave_rows) and
// must not overlap. Throws Error(invalid_argument) for a type without an interleaved layout or
// rows that are not a multiple of 16.
void interleave_rows(Type type, int64_t rows, int64_t cols, const void* src, void* dst);
void deinterleave_rows(Type type, int64_t rows, int64_t cols, const void* src, void* dst);
// Row `row` of interleaved weights back in row layout (row_size(type, cols) bytes into dst).
void deinterleave_row(Type type, int64_t cols, const void* src, int64_t row, void* dst);

}  // namespace hearth::tensor
