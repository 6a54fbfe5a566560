// In-memory copy of the current embedder's vectors for live records, loaded lazily on the first
// vector search and reloaded when this or another process changed the database.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "memory/store.h"

namespace hearth::memory {

struct Store::VectorCache {
  bool valid = false;
  int64_t data_version = -1;
  std::string model;
  size_t dim = 0;
  std::vector<float> data;  // rows of `dim` floats
  std::vector<std::string> ids, scope, kind;
  std::vector<int64_t> expires;
  std::unordered_map<std::string, size_t> pos;
};

// Dot products of `q` with each of `n` rows of `dim` floats.
void dot_rows(const float* rows, size_t n, size_t dim, const float* q, float* out);

}  // namespace hearth::memory
