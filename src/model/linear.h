// Weight x activation products for the model code: small products stay on the calling thread,
// products of one input share a conversion and one pool wake-up.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "core/thread_pool.h"
#include "model/weights.h"
#include "tensor/dispatch.h"

namespace hearth::model {

// y (n x w.rows) = x (n x w.cols) times w transposed.
void matmul(const tensor::Kernels& k, const Weight& w, const float* x, int64_t n, float* y, ThreadPool* pool);
void matmul_shared(const tensor::Kernels& k, std::initializer_list<std::pair<const Weight*, float*>> outs,
                   const float* x, int64_t n, ThreadPool* pool);

}  // namespace hearth::model
