#include "model/ffn.h"

#include <cmath>
#include <vector>

#include "tensor/fp16.h"
#include "tensor/vec.h"

namespace hearth::model {

void swiglu(const tensor::Kernels& kernels, float* gate, const float* up, int64_t n) {
  tensor::silu_mul(kernels, gate, up, n);
}

void geglu_f16(float* gate, const float* up, int64_t n) {
  // GELU of every F16 value, built once (a function-local static is initialised thread-safely).
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t(1 << 16);
    for (uint32_t i = 0; i < t.size(); ++i) {
      const float x = tensor::fp16_to_fp32(static_cast<uint16_t>(i));
      const float g = 0.5f * x * (1.0f + std::tanh(0.79788456080286535587989211986876f * x * (1.0f + 0.044715f * x * x)));
      t[i] = tensor::fp32_to_fp16(g);
    }
    return t;
  }();
  for (int64_t i = 0; i < n; ++i) {
    const float x = gate[i];
    float g;
    if (x <= -10.0f) g = 0.0f;
    else if (x >= 10.0f) g = x;
    else g = tensor::fp16_to_fp32(table[tensor::fp32_to_fp16(x)]);
    gate[i] = g * up[i];
  }
}

}  // namespace hearth::model
