#include "model/kv_cache.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "tensor/dispatch.h"
#include "tensor/kernels.h"

namespace hearth::model {
namespace {

using tensor::Type;

bool is_kv_type(Type t) { return t == Type::F32 || t == Type::F16 || t == Type::Q8_0 || t == Type::Q4_0; }

// What llama.cpp's F32 -> cache copy rounds with: the activation quantizer where a type has one
// (Q8_0, F16), else the reference quantizer (Q4_0). These run the same code on every ISA path.
tensor::from_float_fn converter(Type t) {
  const tensor::TypeKernels& e = tensor::kernel_table(tensor::Isa::scalar)[static_cast<uint32_t>(t)];
  return e.from_float_act ? e.from_float_act : e.from_float_ref;
}

void check_types(const HParams& hp, KvTypes types) {
  for (const auto& [t, dim, which] : {std::tuple{types.k, hp.head_dim_k, "K"}, std::tuple{types.v, hp.head_dim_v, "V"}}) {
    if (!is_kv_type(t))
      fail(Errc::invalid_argument, std::string("KV cache type ") + std::string(tensor::type_name(t)) + " for " + which +
                                       " is not supported (f32, f16, q8_0, q4_0)");
    const int64_t block = tensor::traits(t).block_size;
    if (dim % block != 0)
      fail(Errc::invalid_argument, std::string("KV cache type ") + std::string(tensor::type_name(t)) + " for " + which +
                                       " needs a head dimension that is a multiple of " + std::to_string(block) +
                                       "; this model's is " + std::to_string(dim));
  }
}

}  // namespace

tensor::Type parse_kv_type(std::string_view name, std::string_view what) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (const auto t = tensor::type_from_name(lower); t && is_kv_type(*t)) return *t;
  fail(Errc::invalid_argument,
       std::string(what) + ": '" + std::string(name) + "' is not a KV cache type (f32, f16, q8_0, q4_0)");
}

uint64_t KvCache::bytes(const HParams& hp, int64_t n_ctx, KvTypes types) {
  const uint64_t row = tensor::row_size(types.k, hp.k_dim()) + tensor::row_size(types.v, hp.v_dim());
  return static_cast<uint64_t>(std::max<int64_t>(n_ctx, 0)) * static_cast<uint64_t>(hp.n_layer) * row;
}

KvCache::KvCache(const HParams& hp, int64_t n_ctx, KvTypes types)
    : n_ctx_(n_ctx), n_layer_(hp.n_layer), k_dim_(hp.k_dim()), v_dim_(hp.v_dim()), types_(types) {
  if (n_ctx < 1) fail(Errc::invalid_argument, "context size must be at least 1, got " + std::to_string(n_ctx));
  check_types(hp, types);
  k_row_ = tensor::row_size(types.k, k_dim_);
  v_row_ = tensor::row_size(types.v, v_dim_);
  if (types.k != Type::F32) k_from_ = converter(types.k);
  if (types.v != Type::F32) v_from_ = converter(types.v);
  // new[] leaves the memory uninitialized, so the OS maps pages only when written.
  k_.reset(new uint8_t[static_cast<size_t>(n_layer_ * n_ctx_) * k_row_]);
  v_.reset(new uint8_t[static_cast<size_t>(n_layer_ * n_ctx_) * v_row_]);
}

void KvCache::store_rows(int64_t layer, int64_t pos, const uint8_t* k, const uint8_t* v) {
  std::memcpy(k_.get() + (layer * n_ctx_ + pos) * k_row_, k, k_row_);
  std::memcpy(v_.get() + (layer * n_ctx_ + pos) * v_row_, v, v_row_);
  if (written_first_ == written_end_) written_first_ = written_end_ = pos;
  written_first_ = std::min(written_first_, pos);
  written_end_ = std::max(written_end_, pos + 1);
}

void KvCache::attach_device(std::unique_ptr<KvCacheDevice> device) {
  if (device_) sync_to_host(n_past_);
  device_ = std::move(device);
  written_first_ = 0;
  written_end_ = n_past_;
}

void KvCache::sync_to_host(int64_t n) const {
  if (!device_ || n <= 0) return;
  // Rows store_rows wrote that the device has not taken yet (a restored snapshot before the next
  // forward pass) are newer than the device's: they survive the download.
  const int64_t first = std::min(written_first_, n), end = std::min(written_end_, n);
  for (int64_t l = 0; l < std::min(device_->n_layers(), n_layer_); ++l) {
    uint8_t* k = k_.get() + l * n_ctx_ * k_row_;
    uint8_t* v = v_.get() + l * n_ctx_ * v_row_;
    if (first >= end) {
      device_->download(l, n, k, v);
      continue;
    }
    const std::vector<uint8_t> keep_k(k + first * k_row_, k + end * k_row_);
    const std::vector<uint8_t> keep_v(v + first * v_row_, v + end * v_row_);
    device_->download(l, n, k, v);
    std::memcpy(k + first * k_row_, keep_k.data(), keep_k.size());
    std::memcpy(v + first * v_row_, keep_v.data(), keep_v.size());
  }
}

void KvCache::store(int64_t layer, int64_t pos, const float* k, const float* v) {
  uint8_t* kd = k_.get() + (layer * n_ctx_ + pos) * k_row_;
  uint8_t* vd = v_.get() + (layer * n_ctx_ + pos) * v_row_;
  if (k_from_) k_from_(k, kd, k_dim_);
  else std::memcpy(kd, k, k_row_);
  if (v_from_) v_from_(v, vd, v_dim_);
  else std::memcpy(vd, v, v_row_);
}

void KvCache::truncate(int64_t n) {
  if (n < 0 || n > n_past_)
    fail(Errc::invalid_argument, "cannot truncate the KV cache to " + std::to_string(n) + " (it holds " +
                                     std::to_string(n_past_) + " positions)");
  n_past_ = n;
}

}  // namespace hearth::model
