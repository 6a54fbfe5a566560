#pragma once
#include <cstdint>

#include "tensor/dispatch.h"

namespace hearth::model {

// y = x / sqrt(mean(x^2) + eps) * w (w may be nullptr: no scale), on the kernels' ISA path. The
// sum of squares is accumulated in double, as ggml does, so long rows round like the reference.
// y may alias x.
void rms_norm(const tensor::Kernels& kernels, const float* x, const float* w, float* y, int64_t n, float eps);

}  // namespace hearth::model
