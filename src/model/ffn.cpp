#include "model/ffn.h"

#include <cmath>
#include <vector>

#include "tensor/fp16.h"
#include "tensor/vec.h"

namespace hearth::model {

void swiglu(const tensor::Kernels& kernels, float* gate, const float* up, int64_t n) {
  tensor::silu_mul(kernels, gate, up, n);
}

namespace {

// GELU of every F16 value, built once (a function-local static is initialised thread-safely).
const std::vector<uint16_t>& gelu_table() {
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t(1 << 16);
    for (uint32_t i = 0; i < t.size(); ++i) {
      const float x = tensor::fp16_to_fp32(static_cast<uint16_t>(i));
      const float g = 0.5f * x * (1.0f + std::tanh(0.79788456080286535587989211986876f * x * (1.0f + 0.044715f * x * x)));
      t[i] = tensor::fp32_to_fp16(g);
    }
    return t;
  }();
  return table;
}

float gelu_one(float x, const std::vector<uint16_t>& table) {
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  return tensor::fp16_to_fp32(table[tensor::fp32_to_fp16(x)]);
}

}  // namespace

void geglu_f16(float* gate, const float* up, int64_t n) {
  const auto& table = gelu_table();
  for (int64_t i = 0; i < n; ++i) gate[i] = gelu_one(gate[i], table) * up[i];
}

void gelu_f16(float* x, int64_t n) {
  const auto& table = gelu_table();
  for (int64_t i = 0; i < n; ++i) x[i] = gelu_one(x[i], table);
}

}  // namespace hearth::model
