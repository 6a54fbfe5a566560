// gpt-oss: biased q/k/v/o projections, per-head attention sinks, sliding-window attention on
// even layers, NEOX RoPE; a mixture of experts with biases everywhere, a softmax over the chosen
// experts' logits and a clamped SwiGLU. The FFN pre-norm is stored as post_attention_norm.
// Tensors, ggml order [row length, rows]; E = n_embd, V = n_vocab, F = n_ff, H/Hk heads of D:
//   token_embd [E, V], output_norm [E], output [E, V]
//   blk.N: attn_norm [E]; attn_q [E, H*D], attn_k, attn_v [E, Hk*D], each + bias; attn_sinks [H]
//          attn_output [H*D, E] + bias [E]; post_attention_norm [E] (the FFN's pre-norm)
//          ffn_gate_inp [E, X] + bias [X]; ffn_gate_exps, ffn_up_exps [E, Fx, X] + bias [Fx, X]
//          ffn_down_exps [Fx, E, X] + bias [E, X]
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_gpt_oss() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "gpt-oss";
    d.rope = RopeStyle::neox;
    d.qkv_bias = true;
    d.moe = true;
    d.moe_gating = MoeGating::softmax_chosen;
    d.ffn_act = FfnActivation::swiglu_oai;
    d.ffn_norm_tensor = "post_attention_norm";
    d.sliding_layer = [](int64_t il) { return il % 2 == 0; };  // layers 0, 2, 4, ...
    return d;
  }();
  return def;
}

}  // namespace hearth::model
