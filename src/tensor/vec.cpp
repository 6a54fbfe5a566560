// Scalar reference vector kernels and the dispatching entry points of tensor/vec.h.
#include "tensor/vec.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/dispatch.h"
#include "tensor/fp16.h"
#include "tensor/kernels.h"

namespace hearth::tensor {
namespace {

inline float as_float(float x) { return x; }
inline float as_float(uint16_t h) { return fp16_to_fp32(h); }

template <typename T>
float scores_ref(const float* q, const T* k, int64_t stride, int64_t n, int64_t dim, float scale, float* y) {
  float mx = -INFINITY;
  for (int64_t j = 0; j < n; ++j) {
    const T* kj = k + j * stride;
    float s = 0.0f;
    for (int64_t d = 0; d < dim; ++d) s += q[d] * as_float(kj[d]);
    y[j] = s * scale;
    mx = std::max(mx, y[j]);
  }
  return mx;
}

float exp_sum_ref(float* y, int64_t n, float max) {
  double sum = 0.0;
  for (int64_t j = 0; j < n; ++j) {
    y[j] = std::exp(y[j] - max);
    sum += y[j];
  }
  return static_cast<float>(sum);
}

template <typename T>
void weighted_sum_ref(const float* w, const T* v, int64_t stride, int64_t n, int64_t dim, float* out, SumHeads heads) {
  for (int64_t h = 0; h < heads.count; ++h) {
    const float* wh = w + h * heads.w_stride;
    float* oh = out + h * heads.out_stride;
    for (int64_t j = 0; j < n; ++j) {
      const T* vj = v + j * stride;
      for (int64_t d = 0; d < dim; ++d) oh[d] += wh[j] * as_float(vj[d]);
    }
  }
}

void silu_mul_ref(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

double sum_squares_ref(const float* x, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  return sum;
}

void scale_mul_ref(const float* x, float scale, const float* w, float* y, int64_t n) {
  if (w) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale;
  }
}

void rope_ref(float* v, const float* table, int64_t n_rot, bool neox) {
  const int64_t half = n_rot / 2;
  for (int64_t i = 0; i < half; ++i) {
    const float c = table[2 * i], s = table[2 * i + 1];
    const int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    const float x0 = v[a], x1 = v[b];
    v[a] = x0 * c - x1 * s;
    v[b] = x0 * s + x1 * c;
  }
}

void gelu_mul_ref(float* x, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = up ? gelu_f16_one(x[i]) * up[i] : gelu_f16_one(x[i]);
}

}  // namespace

const uint16_t* gelu_f16_table() {
  // Built once; a function-local static is initialised thread-safely.
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t((1 << 16) + 1, 0);
    for (uint32_t i = 0; i < (1u << 16); ++i) {
      const float x = fp16_to_fp32(static_cast<uint16_t>(i));
      const float g = 0.5f * x * (1.0f + std::tanh(0.79788456080286535587989211986876f * x * (1.0f + 0.044715f * x * x)));
      t[i] = fp32_to_fp16(g);
    }
    return t;
  }();
  return table.data();
}

float gelu_f16_one(float x) {
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  return fp16_to_fp32(gelu_f16_table()[fp32_to_fp16(x)]);
}

void register_vec_scalar(VecKernels& v) {
  v.attn_scores = scores_ref<float>;
  v.attn_scores_f16 = scores_ref<uint16_t>;
  v.exp_sum = exp_sum_ref;
  v.weighted_sum = weighted_sum_ref<float>;
  v.weighted_sum_f16 = weighted_sum_ref<uint16_t>;
  v.silu_mul = silu_mul_ref;
  v.sum_squares = sum_squares_ref;
  v.scale_mul = scale_mul_ref;
  v.rope = rope_ref;
  v.gelu_mul = gelu_mul_ref;
}

float attn_scores(const Kernels& kern, const float* q, const float* k, int64_t stride, int64_t n, int64_t dim,
                  float scale, float* y) {
  return kern.vec.attn_scores(q, k, stride, n, dim, scale, y);
}
float exp_sum(const Kernels& kern, float* y, int64_t n, float max) { return kern.vec.exp_sum(y, n, max); }
void weighted_sum(const Kernels& kern, const float* w, const float* v, int64_t stride, int64_t n, int64_t dim,
                  float* out, SumHeads heads) {
  kern.vec.weighted_sum(w, v, stride, n, dim, out, heads);
}
float attn_scores(const Kernels& kern, const float* q, const uint16_t* k, int64_t stride, int64_t n, int64_t dim,
                  float scale, float* y) {
  return kern.vec.attn_scores_f16(q, k, stride, n, dim, scale, y);
}
void weighted_sum(const Kernels& kern, const float* w, const uint16_t* v, int64_t stride, int64_t n, int64_t dim,
                  float* out, SumHeads heads) {
  kern.vec.weighted_sum_f16(w, v, stride, n, dim, out, heads);
}
void silu_mul(const Kernels& kern, float* gate, const float* up, int64_t n) { kern.vec.silu_mul(gate, up, n); }
double sum_squares(const Kernels& kern, const float* x, int64_t n) { return kern.vec.sum_squares(x, n); }
void scale_mul(const Kernels& kern, const float* x, float scale, const float* w, float* y, int64_t n) {
  kern.vec.scale_mul(x, scale, w, y, n);
}
void rope(const Kernels& kern, float* v, const float* table, int64_t n_rot, bool neox) {
  kern.vec.rope(v, table, n_rot, neox);
}
void gelu_mul(const Kernels& kern, float* x, const float* up, int64_t n) { kern.vec.gelu_mul(x, up, n); }

}  // namespace hearth::tensor
