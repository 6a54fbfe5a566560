// gemma2: embeddings scaled by sqrt(n_embd), RMSNorm before and after attention and FFN,
// GELU-gated FFN, sliding-window attention on even layers, soft-capped attention scores and
// logits, NEOX RoPE, tied output.
// Tensors, ggml order [row length, rows]; E = n_embd, V = n_vocab, F = n_ff, H/Hk heads of D:
//   token_embd [E, V] (also the output), output_norm [E]
//   blk.N: attn_norm [E]; attn_q [E, H*D]; attn_k, attn_v [E, Hk*D]; attn_output [H*D, E]
//          post_attention_norm [E]; ffn_norm [E]; ffn_gate, ffn_up [E, F]; ffn_down [F, E]
//          post_ffw_norm [E]
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_gemma2() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "gemma2";
    d.rope = RopeStyle::neox;
    d.post_norms = true;
    d.embed_scale = true;
    d.ffn_act = FfnActivation::gelu_f16;
    d.sliding_layer = [](int64_t il) { return il % 2 == 0; };  // layers 0, 2, 4, ...
    return d;
  }();
  return def;
}

}  // namespace hearth::model
