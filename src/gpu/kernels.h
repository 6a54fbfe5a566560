// The compute kernels on one device: their pipelines, built once per Context, and functions that
// check shapes and record a kernel into a Sequence. Results match the CPU's scalar reference to
// float summation order (tests/gpu compare them).
#pragma once
#include <cstdint>
#include <memory>

#include "gpu/pipeline.h"
#include "gpu/sequence.h"
#include "tensor/types.h"

namespace hearth::gpu {

struct KernelOptions {
  // Use subgroup operations where the device has them; false builds the plain shared-memory
  // versions everywhere (the tests run both).
  bool subgroups = true;
};

class Kernels {
 public:
  explicit Kernels(Context& ctx, KernelOptions options = {});
  bool uses_subgroups() const { return subgroups_; }

  // y[r] = dot(W row r, x) for r < rows: W holds `rows` rows of k elements of `type` (F32 or
  // F16, row-major as tensor::matmul takes them), x holds k floats, y gets rows floats. As the
  // CPU does for F16 weights, x is rounded to F16 first. Throws hearth::Error: invalid_argument
  // for a shape the buffers cannot hold, unsupported for another type.
  void matvec(Sequence& seq, const Buffer& W, tensor::Type type, int64_t rows, int64_t k, const Buffer& x,
              const Buffer& y) const;

  // For each of `rows` rows of n floats: y = x / sqrt(mean(x^2) + eps) * w (w may be nullptr:
  // no scale; y may be x), as model::rms_norm does on the CPU.
  void rms_norm(Sequence& seq, const Buffer& x, const Buffer* w, const Buffer& y, int64_t n, int64_t rows,
                float eps) const;

 private:
  bool subgroups_;
  std::unique_ptr<Pipeline> matvec_f32_, matvec_f16_, rms_norm_;
};

}  // namespace hearth::gpu
