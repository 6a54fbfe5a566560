// gemma3: gemma2's block (scaled embeddings, pre- and post-norms, GELU-gated FFN) with per-head
// q/k RMSNorm and no soft-caps; five of every six layers use a sliding window and RoPE base
// 10000 unscaled, every sixth is global with the file's base and scaling.
// Tensors, ggml order [row length, rows]; E = n_embd, V = n_vocab, F = n_ff, H/Hk heads of D:
//   token_embd [E, V] (also the output), output_norm [E]
//   blk.N: attn_norm [E]; attn_q [E, H*D]; attn_k, attn_v [E, Hk*D]; attn_q_norm, attn_k_norm [D]
//          attn_output [H*D, E]; post_attention_norm [E]; ffn_norm [E]; ffn_gate, ffn_up [E, F]
//          ffn_down [F, E]; post_ffw_norm [E]
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_gemma3() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "gemma3";
    d.rope = RopeStyle::neox;
    d.qk_norm = true;
    d.post_norms = true;
    d.embed_scale = true;
    d.ffn_act = FfnActivation::gelu_f16;
    d.sliding_layer = [](int64_t il) { return (il + 1) % 6 != 0; };  // five local, one global
    d.local_rope_base = 10000.0f;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
