#include "model/linear.h"

#include <span>
#include <vector>

#include "tensor/ops.h"

namespace hearth::model {
namespace {

// Waking the pool costs microseconds (far more on a busy machine), so small products run on
// the calling thread: below this many multiply-adds threading only adds latency.
constexpr int64_t kMinParallelWork = int64_t(1) << 18;

}  // namespace

void matmul(const tensor::Kernels& k, const Weight& w, const float* x, int64_t n, float* y, ThreadPool* pool) {
  if (w.rows * w.cols * n < kMinParallelWork) pool = nullptr;
  const tensor::MatmulOut one{w.data, w.type, w.rows, y, w.layout};
  tensor::matmul_shared(k, std::span<const tensor::MatmulOut>(&one, 1), w.cols, x, n, pool);
}

// Products of the same input share one activation conversion and one wake-up of the pool
// (generation runs ~113 products per token, so each wake-up saved matters).
void matmul_shared(const tensor::Kernels& k, std::initializer_list<std::pair<const Weight*, float*>> outs,
                   const float* x, int64_t n, ThreadPool* pool) {
  std::vector<tensor::MatmulOut> v;
  int64_t work = 0, cols = 0;
  for (const auto& [w, y] : outs) {
    v.push_back({w->data, w->type, w->rows, y, w->layout});
    work += w->rows * w->cols * n;
    cols = w->cols;
  }
  tensor::matmul_shared(k, v, cols, x, n, work < kMinParallelWork ? nullptr : pool);
}

}  // namespace hearth::model
