// Shared by the matmul_*.comp shaders, included after common.glsl: y[c * rows + r] =
// dot(W row row0 + r, x row c), columns c from col_base. One workgroup per (weight row, group of up to COLS columns), so each
// weight is read and dequantized once for all the columns of its group: the invocations stride
// over the row's elements or block pieces, dequantize them, then loop over the group's columns
// adding each dot to that column's partial sum; store_sums() adds the partial sums of the
// workgroup. The including shader defines accumulate_row().
//
// The column loop is a real loop and the partial sums sit in two vec4s indexed by the loop
// counter, rather than an unrolled loop with one `if (c < ncols)` per column: software drivers
// (lavapipe) run both sides of an `if` under a mask, so unrolled columns cost all COLS columns
// even for one.
//
// The weights are read as 32-bit words (no 8/16-bit storage feature needed). Blocks of 18, 34
// and 210 bytes start on 2-byte boundaries, so every field is read at an even byte offset; a
// read may touch the bytes after the last block up to the next 4-byte boundary, which Buffer's
// allocation (rounded up to 16 bytes, bound whole) always holds.
layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer Weights { uint w[]; };
#ifdef QUANT_X
// The integer-dot variants (matmul_*_dot.comp) take x as quantize_act.comp writes it: int8
// codes four to a word and one float scale per block of QUANT_X elements.
layout(std430, binding = 1) readonly buffer Codes { uint xq[]; };
layout(std430, binding = 2) readonly buffer Scales { float xd[]; };
layout(std430, binding = 3) writeonly buffer Output { float y[]; };
#else
layout(std430, binding = 1) readonly buffer Input { float x[]; };
layout(std430, binding = 2) writeonly buffer Output { float y[]; };
#endif
layout(push_constant) uniform Params {
  uint rows;
  uint k;
  uint n;           // columns of x and y
  uint col_groups;  // ceil(n / COLS): workgroup g computes row g / col_groups
  uint row0;        // W's first row (an expert's matrix inside a stack of them)
  uint col_base;    // x's and y's first column (an expert's rows of a routed batch)
} p;

#define COLS 8

uint col0;   // the workgroup's first column of x and y (p.col_base included)
uint ncols;  // its number of columns, 1..COLS (the same in the whole workgroup)
vec4 acc_lo = vec4(0.0), acc_hi = vec4(0.0);  // this invocation's partial sums of columns 0..7

void add_col(uint c, float v) {
  if (c < 4) acc_lo[c] += v;
  else acc_hi[c - 4] += v;
}
float col_sum(uint c) { return c < 4 ? acc_lo[c] : acc_hi[c - 4]; }

#ifdef QUANT_X
// OpSDot on two words of four packed int8 (SPV_KHR_integer_dot_product, PackedVectorFormat4x8Bit);
// glslc of Debian 12 has no GL_EXT_integer_dot_product, so the instruction is named directly.
// The device enables shaderIntegerDotProduct (gpu::Context) before these shaders are used.
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int sdot_packed(int a, int b, spirv_literal int packed_format);
int dot4(uint a, uint b) { return sdot_packed(int(a), int(b), 0); }
// The sum of four packed codes.
int sum4(uint a) { return dot4(a, 0x01010101u); }

// The word of codes of column c holding elements e .. e + 3 (e a multiple of 4), and the scale
// of the block holding element e.
uint xw(uint c, uint e) { return xq[(col0 + c) * (p.k / 4) + e / 4]; }
float xs(uint c, uint e) { return xd[(col0 + c) * (p.k / QUANT_X) + e / QUANT_X]; }
#else
// Element e of column c of x (F16 weights round it to F16 first).
uint xi(uint c, uint e) { return (col0 + c) * p.k + e; }
#ifdef ROUND_X_TO_F16
float xv(uint i) { return unpackHalf2x16(packHalf2x16(vec2(x[i], 0.0))).x; }
#else
float xv(uint i) { return x[i]; }
#endif
vec4 x4(uint i) { return vec4(xv(i), xv(i + 1), xv(i + 2), xv(i + 3)); }
#endif

// Little-endian fields at byte offset `byte` (even for 16 and 32 bits) from word `word`.
uint read8(uint word, uint byte) { return (w[word + (byte >> 2)] >> ((byte & 3u) * 8u)) & 0xffu; }
uint read16(uint word, uint byte) { return (w[word + (byte >> 2)] >> ((byte & 2u) * 8u)) & 0xffffu; }
uint read32(uint word, uint byte) {
  const uint i = word + (byte >> 2);
  if ((byte & 2u) == 0u) return w[i];
  return (w[i] >> 16) | (w[i + 1] << 16);
}
float read_half(uint word, uint byte) { return unpackHalf2x16(read16(word, byte)).x; }

// The four bytes of v (byte 0 first), unsigned and sign-extended.
ivec4 bytes_u(uint v) { return ivec4(v & 0xffu, (v >> 8) & 0xffu, (v >> 16) & 0xffu, v >> 24); }
// The fifth bits of four 5-bit codes (Q5_0, Q5_1): bits 0-3 of h, each moved to bit 4.
ivec4 fifth_bits(uint h) { return ivec4(uvec4(h, h >> 1, h >> 2, h >> 3) & 1u) << 4; }
ivec4 bytes_i(uint v) {
  const int s = int(v);
  return ivec4(bitfieldExtract(s, 0, 8), bitfieldExtract(s, 8, 8), bitfieldExtract(s, 16, 8), bitfieldExtract(s, 24, 8));
}

// Partial sums of column c at [c * WG ..]; the plain build's second step reuses the start.
shared float part[COLS * WG];

// Adds the partial sums over the workgroup for all the columns at once and writes them to y:
// one round of barriers for all the columns, where workgroup_sum would take one per column.
// Call from uniform control flow.
void store_sums(uint row) {
  const uint t = gl_LocalInvocationID.x;
#ifdef HEARTH_SUBGROUP
  for (uint c = 0; c < ncols; ++c) {
    const float v = subgroupAdd(col_sum(c));
    if (subgroupElect()) part[c * WG + gl_SubgroupID] = v;
  }
  barrier();
  if (t < ncols) {
    float s = 0.0;
    for (uint i = 0; i < gl_NumSubgroups; ++i) s += part[t * WG + i];
    y[(col0 + t) * p.rows + row] = s;
  }
#else
  for (uint c = 0; c < ncols; ++c) part[c * WG + t] = col_sum(c);
  barrier();
  // 16 invocations per column add WG / 16 partial sums each, then one per column adds those.
  const uint c = t / 16, j = t % 16;
  float s = 0.0;
  if (c < ncols)
    for (uint i = 0; i < WG / 16; ++i) s += part[c * WG + j * (WG / 16) + i];
  barrier();
  if (c < ncols) part[c * 16 + j] = s;
  barrier();
  if (t < ncols) {
    s = 0.0;
    for (uint i = 0; i < 16; ++i) s += part[t * 16 + i];
    y[(col0 + t) * p.rows + row] = s;
  }
#endif
}

// Adds this invocation's share of W row `row` times each column to its partial sums.
void accumulate_row(uint row);

void main() {
  const uint g = group_index();
  const uint row = g / p.col_groups;
  if (row >= p.rows) return;  // padding of the last dispatch row: the whole workgroup leaves
  const uint c0 = (g - row * p.col_groups) * COLS;
  col0 = p.col_base + c0;
  ncols = min(p.n - c0, uint(COLS));
  accumulate_row(p.row0 + row);
  store_sums(row);
}
