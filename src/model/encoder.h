// Encoder-only transformers for embeddings (bert, nomic-bert): every token attends to every
// other, LayerNorm after each residual sum, token-type (and for bert learned position)
// embeddings. They produce hidden states, never logits.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "gguf/gguf.h"
#include "model/arch.h"
#include "model/hparams.h"
#include "model/weights.h"
#include "tensor/dispatch.h"

namespace hearth::model {

struct EncoderLayer {
  Weight wq, wk, wv, bq, bk, bv, wqkv;  // separate (bert) or fused (nomic-bert) projections
  Weight wo, bo;
  Weight attn_norm_w, attn_norm_b;      // LayerNorm after attention + residual
  Weight up, up_b, gate, down, down_b;  // GELU (bert) or SwiGLU (nomic-bert)
  Weight out_norm_w, out_norm_b;        // LayerNorm after FFN + residual
};

struct EncoderWeights {
  Weight token_embd, token_types, position_embd;
  Weight embd_norm_w, embd_norm_b;
  std::vector<EncoderLayer> layers;
};

EncoderWeights bind_encoder(const gguf::File& f, const ArchDef& arch, HParams& hp);

// The last layer's output for `tokens` (token type 0, positions 0..n-1): n rows of n_embd.
void encode(const tensor::Kernels& k, const EncoderWeights& w, const HParams& hp, const ArchDef& arch,
            std::span<const int32_t> tokens, std::vector<float>& out, ThreadPool* pool);

}  // namespace hearth::model
