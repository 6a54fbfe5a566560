// Streams a GGUF v3 file to disk without holding its tensor data in memory: the header is
// written first, the file is sized up front, and tensor bytes are written at their final offsets
// from any thread (pwrite), so multi-gigabyte models are produced with a few MB of scratch.
// The layout is the same as gguf::Writer's (and llama.cpp's), so equal inputs give equal bytes.
// Used by `hearth synth` and `hearth quantize`.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gguf/gguf.h"
#include "tensor/types.h"

namespace hearth::model {

using StreamTensor = gguf::TensorShape;

class GgufStreamWriter {
 public:
  // Validates the tensors, opens `path`.tmp and writes the header. Throws Error(io|invalid_argument).
  GgufStreamWriter(std::string path, const std::vector<std::pair<std::string, gguf::Value>>& kv,
                   std::vector<StreamTensor> tensors);
  ~GgufStreamWriter();  // removes the temporary file unless commit() ran
  GgufStreamWriter(const GgufStreamWriter&) = delete;
  GgufStreamWriter& operator=(const GgufStreamWriter&) = delete;

  const std::vector<StreamTensor>& tensors() const { return tensors_; }
  size_t tensor_bytes(size_t i) const { return sizes_[i]; }
  uint64_t total_size() const { return total_; }

  // Writes `n` bytes at `offset` within tensor i's data. Thread-safe for disjoint ranges.
  void write(size_t i, uint64_t offset, const void* data, size_t n);
  // Flushes, closes and renames the temporary file to `path`.
  void commit();

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  std::vector<StreamTensor> tensors_;
  std::vector<size_t> sizes_;
  std::vector<uint64_t> offsets_;  // absolute file offsets
  uint64_t total_ = 0;
  bool committed_ = false;
};

// Fills every tensor of `w` in parallel. `produce(i, row0, nrows, out)` writes rows
// [row0, row0+nrows) of tensor i as F32 (rows = product of dims[1..], dims[0] floats each).
// When `raw(i, row0, nrows, out)` is given and returns true it has written the rows already
// encoded in the tensor's type instead (copies that need no conversion). Work is split into
// chunks of whole rows; the bytes do not depend on the thread count.
using RowProducer = std::function<void(size_t i, int64_t row0, int64_t nrows, float* out)>;
using RawProducer = std::function<bool(size_t i, int64_t row0, int64_t nrows, uint8_t* out)>;
// Sees each converted chunk: the F32 rows and their encoding (quantization error reports).
using EncodedHook = std::function<void(size_t i, int64_t nrows, const float* f32, const uint8_t* enc)>;
void fill_tensors(GgufStreamWriter& w, const RowProducer& produce, int n_threads,
                  const RawProducer& raw = nullptr, const EncodedHook& hook = nullptr);

}  // namespace hearth::model
