#include "model/kv_cache.h"

#include "core/error.h"

namespace hearth::model {

KvCache::KvCache(const HParams& hp, int64_t n_ctx)
    : n_ctx_(n_ctx), n_layer_(hp.n_layer), k_dim_(hp.k_dim()), v_dim_(hp.v_dim()) {
  if (n_ctx < 1) fail(Errc::invalid_argument, "context size must be at least 1, got " + std::to_string(n_ctx));
  // new float[] leaves the memory uninitialized, so the OS maps pages only when written.
  k_.reset(new float[static_cast<size_t>(n_layer_ * n_ctx_ * k_dim_)]);
  v_.reset(new float[static_cast<size_t>(n_layer_ * n_ctx_ * v_dim_)]);
}

void KvCache::truncate(int64_t n) {
  if (n < 0 || n > n_past_)
    fail(Errc::invalid_argument, "cannot truncate the KV cache to " + std::to_string(n) + " (it holds " +
                                     std::to_string(n_past_) + " positions)");
  n_past_ = n;
}

}  // namespace hearth::model
