// F32 key/value cache for one sequence. Slot i holds the token at position i, so truncating
// back to a position is just forgetting the slots after it (chat turns, prompt reuse).
#pragma once
#include <cstdint>
#include <memory>

#include "model/hparams.h"

namespace hearth::model {

class KvCache {
 public:
  // Throws Error(invalid_argument) when n_ctx < 1. Memory is reserved, not touched, up front:
  // pages become resident as positions are filled.
  KvCache(const HParams& hp, int64_t n_ctx);

  int64_t n_ctx() const { return n_ctx_; }
  int64_t size() const { return n_past_; }  // positions filled
  void truncate(int64_t n);                 // keeps positions [0, n); n > size() is an error
  void clear() { n_past_ = 0; }

  float* k(int64_t layer, int64_t pos) { return k_.get() + (layer * n_ctx_ + pos) * k_dim_; }
  float* v(int64_t layer, int64_t pos) { return v_.get() + (layer * n_ctx_ + pos) * v_dim_; }
  int64_t k_dim() const { return k_dim_; }
  int64_t v_dim() const { return v_dim_; }

  // Used by the forward pass after it has written positions [size(), size()+n).
  void advance(int64_t n) { n_past_ += n; }

 private:
  int64_t n_ctx_ = 0, n_layer_ = 0, k_dim_ = 0, v_dim_ = 0, n_past_ = 0;
  std::unique_ptr<float[]> k_, v_;
};

}  // namespace hearth::model
