// Shape checks and dispatch sizes shared by the kernels_*.cpp files (internal to hearth_gpu).
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"
#include "gpu/buffer.h"
#include "gpu/sequence.h"

namespace hearth::gpu::detail {

constexpr uint32_t kMaxGroupsX = 65535;  // the spec's minimum maxComputeWorkGroupCount[0]
constexpr uint32_t kWorkgroup = 128;     // WG in shaders/common.glsl

// One workgroup per item, spread over y when there are more items than x allows (the shader's
// group_index() undoes the split).
inline Groups row_groups(int64_t rows) {
  const auto x = static_cast<uint32_t>(std::min<int64_t>(rows, kMaxGroupsX));
  return {x, static_cast<uint32_t>((rows + x - 1) / x), 1};
}

// One invocation per element, kWorkgroup to a workgroup.
inline Groups element_groups(int64_t n) { return row_groups((n + kWorkgroup - 1) / kWorkgroup); }

// A size or offset already checked to fit, as the shaders' 32-bit push constants take it.
inline uint32_t u32(int64_t v) { return static_cast<uint32_t>(v); }

inline void need_positive(int64_t v, const char* what, const char* op) {
  if (v <= 0) fail(Errc::invalid_argument, std::string(op) + ": " + what + " must be positive, not " + std::to_string(v));
}

inline void need_nonnegative(int64_t v, const char* what, const char* op) {
  if (v < 0) fail(Errc::invalid_argument, std::string(op) + ": " + what + " must not be negative, not " + std::to_string(v));
}

// Element indices in the shaders are 32-bit.
inline void need_u32(int64_t rows, int64_t cols, const char* op) {
  constexpr int64_t kMax = std::numeric_limits<uint32_t>::max();
  if (rows > kMax || cols > kMax || rows * cols > kMax)
    fail(Errc::out_of_range, std::string(op) + ": " + std::to_string(rows) + " x " + std::to_string(cols) +
                                 " elements are more than one dispatch indexes (2^32)");
}

inline void need_bytes(const Buffer& b, int64_t bytes, const char* what, const std::string& shape) {
  if (static_cast<uint64_t>(bytes) > b.size())
    fail(Errc::invalid_argument, shape + ": " + what + " needs " + std::to_string(bytes) + " bytes, its buffer holds " +
                                     std::to_string(b.size()));
}

}  // namespace hearth::gpu::detail
