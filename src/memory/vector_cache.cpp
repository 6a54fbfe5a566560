#include "memory/vector_cache.h"

#include <cmath>
#include <cstring>

namespace hearth::memory {

// The scans are compiled for several ISAs and picked at load time, so a portable build still
// uses AVX-512/AVX2 where the CPU has them.
#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define HEARTH_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HEARTH_MULTIVERSION
#endif

HEARTH_MULTIVERSION
void dot_rows(const float* rows, size_t n, size_t dim, const float* q, float* out) {
  for (size_t r = 0; r < n; ++r) {
    const float* row = rows + r * dim;
    // Sixteen independent accumulators let the compiler vectorise without -ffast-math.
    float acc[16] = {};
    size_t i = 0;
    for (; i + 16 <= dim; i += 16)
      for (int k = 0; k < 16; ++k) acc[k] += row[i + k] * q[i + k];
    float s = 0;
    for (int k = 0; k < 16; ++k) s += acc[k];
    for (; i < dim; ++i) s += row[i] * q[i];
    out[r] = s;
  }
}

HEARTH_MULTIVERSION
void dot_rows_i8(const int8_t* rows, size_t n, size_t dim, const int8_t* q, int32_t* out) {
  for (size_t r = 0; r < n; ++r) {
    const int8_t* row = rows + r * dim;
    int32_t s = 0;
    // Integer sums are exact in any order, so this vectorises as written.
    for (size_t i = 0; i < dim; ++i) s += int32_t(row[i]) * int32_t(q[i]);
    out[r] = s;
  }
}

float quantize_row(const float* v, size_t dim, int8_t* out) {
  float m = 0;
  for (size_t i = 0; i < dim; ++i) m = std::max(m, std::fabs(v[i]));
  if (m == 0 || !std::isfinite(m)) {
    std::memset(out, 0, dim);
    return 0;
  }
  float inv = 127.0f / m;
  for (size_t i = 0; i < dim; ++i) out[i] = static_cast<int8_t>(std::lrint(v[i] * inv));
  return m / 127.0f;
}

void Store::VectorCache::clear_rows() {
  dim = 0;
  data.clear();
  q8.clear();
  scale.clear();
  ids.clear();
  scope.clear();
  kind.clear();
  expires.clear();
  pos.clear();
}

bool Store::VectorCache::upsert(const std::string& id, const std::string& sc, const std::string& k, int64_t exp,
                                const float* v, size_t d) {
  if (d == 0) return false;
  if (ids.empty()) dim = d;
  if (d != dim) return false;
  size_t row;
  if (auto it = pos.find(id); it != pos.end()) {
    row = it->second;
  } else {
    row = ids.size();
    ids.push_back(id);
    scope.emplace_back();
    kind.emplace_back();
    expires.push_back(0);
    data.resize(data.size() + dim);
    q8.resize(q8.size() + dim);
    scale.push_back(0);
    pos[id] = row;
  }
  scope[row] = sc;
  kind[row] = k;
  expires[row] = exp;
  std::memcpy(data.data() + row * dim, v, dim * sizeof(float));
  scale[row] = quantize_row(v, dim, q8.data() + row * dim);
  return true;
}

void Store::VectorCache::remove(const std::string& id) {
  auto it = pos.find(id);
  if (it == pos.end()) return;
  size_t row = it->second, last = ids.size() - 1;
  pos.erase(it);
  if (row != last) {
    ids[row] = std::move(ids[last]);
    scope[row] = std::move(scope[last]);
    kind[row] = std::move(kind[last]);
    expires[row] = expires[last];
    scale[row] = scale[last];
    std::memcpy(data.data() + row * dim, data.data() + last * dim, dim * sizeof(float));
    std::memcpy(q8.data() + row * dim, q8.data() + last * dim, dim);
    pos[ids[row]] = row;
  }
  ids.pop_back();
  scope.pop_back();
  kind.pop_back();
  expires.pop_back();
  scale.pop_back();
  data.resize(last * dim);
  q8.resize(last * dim);
}

}  // namespace hearth::memory
