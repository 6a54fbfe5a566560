// Hyper-parameters of a decoder-only transformer, read from the `<arch>.*` GGUF keys.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gguf/gguf.h"
#include "model/arch.h"

namespace hearth::model {

struct HParams {
  int64_t n_vocab = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim_k = 0;  // key_length, default n_embd / n_head
  int64_t head_dim_v = 0;  // value_length, default n_embd / n_head
  int64_t n_rot = 0;       // rope.dimension_count, default head_dim_k
  int64_t n_ctx_train = 0; // context_length
  float rms_eps = 1e-5f;
  float norm_eps = 1e-5f;
  int64_t pooling = 1;     // pooling_type for embeddings: 1 mean, 2 CLS (first token), 3 last token  // attention.layer_norm_epsilon (LayerNorm: encoders)
  float rope_base = 10000.0f;
  int64_t n_expert = 0;          // expert_count; 0: a dense FFN
  int64_t n_expert_used = 0;     // expert_used_count
  int64_t n_ff_exp = 0;          // expert_feed_forward_length (default feed_forward_length)
  int64_t n_swa = 0;             // attention.sliding_window (for the layers the arch says)
  float attn_softcap = 0;        // attn_logit_softcapping: scores -> cap * tanh(score / cap); 0 off
  float final_softcap = 0;       // final_logit_softcapping, on the output logits
  float rope_freq_scale = 1.0f;  // rope.scaling.type linear or yarn: positions times 1 / rope.scaling.factor
  bool rope_yarn = false;        // rope.scaling.type yarn (with n_ctx_orig)
  float yarn_beta_fast = 32.0f, yarn_beta_slow = 1.0f;
  int64_t n_ctx_orig = 0;        // rope.scaling.original_context_length (LongRoPE, YaRN), 0: none
  float rope_attn_factor = 1.0f; // rope.scaling.attn_factor: scales cos/sin (LongRoPE)

  int64_t q_dim() const { return n_head * head_dim_k; }
  int64_t k_dim() const { return n_head_kv * head_dim_k; }
  int64_t v_dim() const { return n_head_kv * head_dim_v; }
};

// Reads and validates the hyper-parameters (n_vocab is filled later from token_embd).
// Throws Error(format) naming the key when a value is missing or impossible.
HParams read_hparams(const gguf::File& file, const ArchDef& arch);

// The `<arch>.*` keys that read_hparams reads back as `hp` (what `hearth synth` writes).
std::vector<std::pair<std::string, gguf::Value>> hparams_metadata(const ArchDef& arch, const HParams& hp);

}  // namespace hearth::model
