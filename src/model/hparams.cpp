#include "model/hparams.h"

#include "core/error.h"

namespace hearth::model {
namespace {

// Bounds keep a corrupt header from driving huge allocations later on.
int64_t require_int(const gguf::File& f, const std::string& key, int64_t lo, int64_t hi) {
  const gguf::Value& v = f.require(key);
  if (!v.is_integer()) fail(Errc::format, f.name() + ": " + key + " is not an integer");
  int64_t x = v.as_int();
  if (x < lo || x > hi)
    fail(Errc::format, f.name() + ": " + key + " = " + std::to_string(x) + " is out of range [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

int64_t optional_int(const gguf::File& f, const std::string& key, int64_t def, int64_t lo, int64_t hi) {
  if (!f.has(key)) return def;
  return require_int(f, key, lo, hi);
}

}  // namespace

HParams read_hparams(const gguf::File& f, const ArchDef& arch) {
  const std::string p = arch.name + ".";
  HParams h;
  h.n_embd = require_int(f, p + "embedding_length", 1, 1 << 20);
  h.n_layer = require_int(f, p + "block_count", 1, 4096);
  h.n_ff = require_int(f, p + "feed_forward_length", 1, 1 << 22);
  h.n_head = require_int(f, p + "attention.head_count", 1, 1 << 14);
  h.n_head_kv = optional_int(f, p + "attention.head_count_kv", h.n_head, 1, h.n_head);
  if (h.n_head % h.n_head_kv != 0)
    fail(Errc::format, f.name() + ": attention.head_count (" + std::to_string(h.n_head) +
                           ") is not a multiple of head_count_kv (" + std::to_string(h.n_head_kv) + ")");
  int64_t def_hd = h.n_embd / h.n_head;
  h.head_dim_k = optional_int(f, p + "attention.key_length", def_hd, 1, 1 << 16);
  h.head_dim_v = optional_int(f, p + "attention.value_length", def_hd, 1, 1 << 16);
  h.n_rot = optional_int(f, p + "rope.dimension_count", h.head_dim_k, 0, h.head_dim_k);
  if (h.n_rot % 2 != 0) fail(Errc::format, f.name() + ": " + p + "rope.dimension_count must be even");
  h.n_ctx_train = optional_int(f, p + "context_length", 2048, 1, int64_t(1) << 32);
  h.rms_eps = static_cast<float>(f.get_float(p + "attention.layer_norm_rms_epsilon", 1e-5));
  h.pooling = optional_int(f, p + "pooling_type", 1, 0, 4);
  if (h.pooling == 0 || h.pooling == 4)  // none (per-token vectors) and rank (rerankers)
    h.pooling = 1;
  h.norm_eps = static_cast<float>(f.get_float(p + "attention.layer_norm_epsilon", 1e-5));
  if (!(h.norm_eps > 0.0f)) fail(Errc::format, f.name() + ": " + p + "attention.layer_norm_epsilon must be positive");
  h.rope_base = static_cast<float>(f.get_float(p + "rope.freq_base", arch.default_rope_base));
  h.n_expert = optional_int(f, p + "expert_count", 0, 0, 4096);
  if (h.n_expert > 0) {
    h.n_expert_used = require_int(f, p + "expert_used_count", 1, h.n_expert);
    h.n_ff_exp = optional_int(f, p + "expert_feed_forward_length", h.n_ff, 1, 1 << 22);
  }
  if (arch.moe && h.n_expert == 0) fail(Errc::format, f.name() + ": " + p + "expert_count is missing");
  h.n_swa = optional_int(f, p + "attention.sliding_window", 0, 0, int64_t(1) << 32);
  if (arch.sliding_layer && h.n_swa == 0)
    fail(Errc::format, f.name() + ": " + p + "attention.sliding_window is missing");
  h.attn_softcap = static_cast<float>(f.get_float(p + "attn_logit_softcapping", 0.0));
  h.final_softcap = static_cast<float>(f.get_float(p + "final_logit_softcapping", 0.0));
  if (h.attn_softcap < 0 || h.final_softcap < 0) fail(Errc::format, f.name() + ": soft-capping values must not be negative");
  h.n_ctx_orig = optional_int(f, p + "rope.scaling.original_context_length", 0, 0, int64_t(1) << 32);
  const std::string scaling = f.get_string(p + "rope.scaling.type", "none");
  if (scaling == "linear" || scaling == "yarn") {
    const double factor = f.get_float(p + "rope.scaling.factor", 1.0);
    if (!(factor > 0)) fail(Errc::format, f.name() + ": " + p + "rope.scaling.factor must be positive");
    h.rope_freq_scale = static_cast<float>(1.0 / factor);
    if (scaling == "yarn") {
      h.rope_yarn = h.rope_freq_scale != 1.0f;
      if (h.n_ctx_orig == 0) h.n_ctx_orig = h.n_ctx_train;
      h.yarn_beta_fast = static_cast<float>(f.get_float(p + "rope.scaling.yarn_beta_fast", 32.0));
      h.yarn_beta_slow = static_cast<float>(f.get_float(p + "rope.scaling.yarn_beta_slow", 1.0));
    }
  } else if (scaling != "none" && scaling != "") {
    fail(Errc::unsupported, f.name() + ": " + p + "rope.scaling.type '" + scaling +
                                "' is not supported (none, linear, yarn; LongRoPE via rope factors)");
  }
  h.rope_attn_factor = static_cast<float>(f.get_float(p + "rope.scaling.attn_factor", 1.0));
  if (!(h.rope_attn_factor > 0.0f)) fail(Errc::format, f.name() + ": " + p + "rope.scaling.attn_factor must be positive");
  if (!(h.rms_eps > 0.0f) || !(h.rope_base > 0.0f))
    fail(Errc::format, f.name() + ": rms epsilon and rope.freq_base must be positive");
  return h;
}

std::vector<std::pair<std::string, gguf::Value>> hparams_metadata(const ArchDef& arch, const HParams& h) {
  using gguf::Value;
  const std::string p = arch.name + ".";
  std::vector<std::pair<std::string, Value>> kv;
  auto u32 = [&](const std::string& key, int64_t v) { kv.emplace_back(p + key, Value::u32(static_cast<uint32_t>(v))); };
  auto f32 = [&](const std::string& key, float v) { kv.emplace_back(p + key, Value::f32(v)); };
  u32("block_count", h.n_layer);
  u32("context_length", h.n_ctx_train);
  u32("embedding_length", h.n_embd);
  u32("feed_forward_length", h.n_ff);
  u32("attention.head_count", h.n_head);
  u32("attention.head_count_kv", h.n_head_kv);
  f32("rope.freq_base", h.rope_base);
  f32("attention.layer_norm_rms_epsilon", h.rms_eps);
  u32("attention.key_length", h.head_dim_k);
  u32("attention.value_length", h.head_dim_v);
  u32("vocab_size", h.n_vocab);
  u32("rope.dimension_count", h.n_rot);
  if (h.n_expert > 0) {
    u32("expert_count", h.n_expert);
    u32("expert_used_count", h.n_expert_used);
    u32("expert_feed_forward_length", h.n_ff_exp);
  }
  if (h.n_swa > 0) u32("attention.sliding_window", h.n_swa);
  if (h.attn_softcap > 0) f32("attn_logit_softcapping", h.attn_softcap);
  if (h.final_softcap > 0) f32("final_logit_softcapping", h.final_softcap);
  if (h.rope_freq_scale != 1.0f) {
    kv.emplace_back(p + "rope.scaling.type", Value::str(h.rope_yarn ? "yarn" : "linear"));
    f32("rope.scaling.factor", 1.0f / h.rope_freq_scale);
    if (h.rope_yarn) {
      f32("rope.scaling.yarn_beta_fast", h.yarn_beta_fast);
      f32("rope.scaling.yarn_beta_slow", h.yarn_beta_slow);
    }
  }
  if (h.n_ctx_orig > 0) u32("rope.scaling.original_context_length", h.n_ctx_orig);
  if (h.rope_attn_factor != 1.0f) f32("rope.scaling.attn_factor", h.rope_attn_factor);
  return kv;
}

}  // namespace hearth::model
