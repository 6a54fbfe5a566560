// Field readers of the K-quant blocks, shared by the float and integer-dot matmuls of Q4_K and
// Q6_K (included after matmul.glsl).

// Q4_K: scale and min of sub-block j from the packed bytes at byte 4 of the block at `word`
// (tensor's scale_min_k4).
uvec2 scale_min(uint word, uint j) {
  if (j < 4) return uvec2(read8(word, 4 + j) & 63u, read8(word, 8 + j) & 63u);
  const uint hi = read8(word, 8 + j);
  return uvec2((hi & 15u) | ((read8(word, j) >> 6) << 4), (hi >> 4) | ((read8(word, 4 + j) >> 6) << 4));
}

// Q6_K: the unsigned 6-bit codes q of four elements, bytewise: 4-bit lows from `lo`, 2-bit highs
// from `hi`.
uint q6_codes(uint lo, uint hi) { return (lo & 0x0f0f0f0fu) | ((hi & 0x03030303u) << 4); }
// Q6_K: the signed 8-bit scale at `byte` of the block at `word`.
int q6_scale(uint word, uint byte) { return bitfieldExtract(int(read8(word, byte)), 0, 8); }

// Q3_K: the signed 6-bit scale of 16-element group j (0..15) from the 12 packed bytes at byte
// `at` of the block at `word` (tensor's unpack_q3_k_scales).
int q3_scale(uint word, uint at, uint j) {
  const uint lo = j < 8u ? (read8(word, at + j) & 15u) : (read8(word, at + j - 8u) >> 4);
  const uint hi = (read8(word, at + 8u + j % 4u) >> (2u * (j / 4u))) & 3u;
  return int(lo | (hi << 4)) - 32;
}
