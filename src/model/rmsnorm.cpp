#include "model/rmsnorm.h"

#include <cmath>

#include "tensor/vec.h"

namespace hearth::model {

void rms_norm(const tensor::Kernels& kernels, const float* x, const float* w, float* y, int64_t n, float eps) {
  const double sum = tensor::sum_squares(kernels, x, n);
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  tensor::scale_mul(kernels, x, 1.0f / std::sqrt(mean + eps), w, y, n);
}

}  // namespace hearth::model
