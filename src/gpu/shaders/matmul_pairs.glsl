// accumulate_row for matmul.glsl over weights stored two 16-bit values per word (F16, BF16). The
// includer defines vec2 unpack_pair(uint word) (low half in .x). A row of odd length starts or ends
// mid-word, so the half outside the row weighs 0 (and its x index is not read).

void accumulate_row(uint row) {
  const uint first = row * p.k, end = first + p.k;  // element range of the row
  for (uint wi = first / 2 + gl_LocalInvocationID.x; wi * 2 < end; wi += WG) {
    const vec2 h = unpack_pair(w[wi]);
    const uint e = wi * 2;
    const bool lo = e >= first, hi = e + 1 < end;
    for (uint c = 0; c < ncols; ++c) {
      float v = 0.0;
      if (lo) v += h.x * xv(xi(c, e - first));
      if (hi) v += h.y * xv(xi(c, e + 1 - first));
      add_col(c, v);
    }
  }
}
