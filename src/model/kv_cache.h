// Key/value cache for one sequence. Slot i holds the token at position i, so truncating back to a
// position is just forgetting the slots after it (chat turns, prompt reuse).
//
// Keys and values are stored in a type of the user's choice (llama.cpp's --cache-type-k/-v):
// F32 (the default: exact), F16 (half the memory; what llama.cpp uses by default), Q8_0 or Q4_0
// (a quarter / an eighth, lossy). A row holds all KV heads of one position; quantized rows need
// head dimensions that are whole 32-element blocks, so every head starts on a block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "model/hparams.h"
#include "tensor/kernels.h"
#include "tensor/types.h"

namespace hearth::model {

// The device half of a cache whose first layers a GPU runs (model/offload.cpp makes it). Those
// layers' rows live on the device; the host rows of them are a copy made on demand.
class KvCacheDevice {
 public:
  virtual ~KvCacheDevice() = default;
  virtual uint64_t owner() const = 0;  // the offload that made it (an id never reused)
  virtual int64_t n_layers() const = 0;   // layers [0, n_layers) live on the device
  // Copies positions [0, n) of `layer` from the device into k and v (n rows each, contiguous).
  virtual void download(int64_t layer, int64_t n, uint8_t* k, uint8_t* v) const = 0;
};

struct KvTypes {
  tensor::Type k = tensor::Type::F32, v = tensor::Type::F32;
};

// "f32", "f16", "q8_0" or "q4_0" (any case). Throws Error(invalid_argument) naming `what` (the
// flag or field) and the accepted names.
tensor::Type parse_kv_type(std::string_view name, std::string_view what);

class KvCache {
 public:
  // Throws Error(invalid_argument) when n_ctx < 1, and for a type the cache cannot hold or a
  // head dimension a quantized type cannot split. Memory is reserved, not touched, up front:
  // pages become resident as positions are filled.
  KvCache(const HParams& hp, int64_t n_ctx, KvTypes types = {});

  // Bytes a cache of this shape and types takes (what the constructor reserves).
  static uint64_t bytes(const HParams& hp, int64_t n_ctx, KvTypes types = {});

  int64_t n_ctx() const { return n_ctx_; }
  int64_t size() const { return n_past_; }  // positions filled
  void truncate(int64_t n);                 // keeps positions [0, n); n > size() is an error
  void clear() { n_past_ = 0; }

  KvTypes types() const { return types_; }
  int64_t k_dim() const { return k_dim_; }
  int64_t v_dim() const { return v_dim_; }
  size_t k_row_bytes() const { return k_row_; }
  size_t v_row_bytes() const { return v_row_; }
  // The stored rows of (layer, pos): k_dim / v_dim elements of the cache's types.
  const uint8_t* k_row(int64_t layer, int64_t pos) const { return k_.get() + (layer * n_ctx_ + pos) * k_row_; }
  const uint8_t* v_row(int64_t layer, int64_t pos) const { return v_.get() + (layer * n_ctx_ + pos) * v_row_; }
  // Writes position pos of a layer from F32 keys and values (converted to the cache's types).
  void store(int64_t layer, int64_t pos, const float* k, const float* v);

  int64_t n_layer() const { return n_layer_; }
  // Writes stored rows (k_row_bytes / v_row_bytes, already in the cache's types) of (layer, pos):
  // a saved prefix going back in (kv_snapshot.h).
  void store_rows(int64_t layer, int64_t pos, const uint8_t* k, const uint8_t* v);

  // Used by the forward pass after it has written positions [size(), size()+n).
  void advance(int64_t n) { n_past_ += n; }

  // GPU offload (model/offload.cpp). A cache the GPU runs layers of carries their device rows.
  KvCacheDevice* device() const { return device_.get(); }
  // Attaches a device half (replacing one of another owner, whose rows are copied back first).
  // The positions already held are marked as written on the host, for the device to take.
  void attach_device(std::unique_ptr<KvCacheDevice> device);
  // Makes the host rows of the device's layers current for positions [0, n) (before reading
  // k_row/v_row of those layers, as snapshots do).
  void sync_to_host(int64_t n) const;
  // Positions [first, end) whose rows store_rows wrote on the host since the device last took
  // them (first == end: none), and forgetting them once it has.
  std::pair<int64_t, int64_t> host_written() const { return {written_first_, written_end_}; }
  void clear_host_written() { written_first_ = written_end_ = 0; }

 private:
  int64_t n_ctx_ = 0, n_layer_ = 0, k_dim_ = 0, v_dim_ = 0, n_past_ = 0;
  KvTypes types_;
  size_t k_row_ = 0, v_row_ = 0;
  tensor::from_float_fn k_from_ = nullptr, v_from_ = nullptr;  // F32 -> stored type (nullptr: F32 copy)
  std::unique_ptr<uint8_t[]> k_, v_;
  std::unique_ptr<KvCacheDevice> device_;
  int64_t written_first_ = 0, written_end_ = 0;
};

}  // namespace hearth::model
