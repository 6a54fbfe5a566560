// In-memory copy of the current embedder's vectors for live records. Loaded once on the first
// vector search, reloaded in full only when another process committed (PRAGMA data_version),
// and updated row by row after this process's own commits.
// Rows are kept twice: float (exact cosine for the final candidates) and int8 with a per-row
// scale, which the brute-force scan reads (a quarter of the memory traffic).
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
  std::vector<float> data;   // rows of `dim` floats
  std::vector<int8_t> q8;    // the same rows quantised: row[i] ~= q8[i] * scale[row]
  std::vector<float> scale;
  std::vector<std::string> ids, scope, kind;
  std::vector<int64_t> expires;
  std::unordered_map<std::string, size_t> pos;
  std::vector<int32_t> raw;  // scratch for the int8 scan, reused between searches

  size_t size() const { return ids.size(); }
  void clear_rows();
  // Inserts or replaces a row; rows of another dimension are ignored (returns false).
  bool upsert(const std::string& id, const std::string& scope, const std::string& kind, int64_t expires,
              const float* v, size_t dim);
  void remove(const std::string& id);  // moves the last row into the gap
};

// Symmetric int8 quantisation of one vector; returns the scale (max |x| / 127, 0 for a zero row).
float quantize_row(const float* v, size_t dim, int8_t* out);

// Dot products of `q` with each of `n` rows of `dim` values.
void dot_rows(const float* rows, size_t n, size_t dim, const float* q, float* out);
void dot_rows_i8(const int8_t* rows, size_t n, size_t dim, const int8_t* q, int32_t* out);

}  // namespace hearth::memory
