// qwen3moe: qwen3's attention (per-head q/k RMSNorm, NEOX RoPE) with a mixture-of-experts FFN:
// softmax router, the top expert_used_count experts, their weights renormalised.
// Tensors, ggml order [row length, rows]; E = n_embd, V = n_vocab, F = n_ff, H/Hk heads of D:
//   token_embd [E, V], output_norm [E], output [E, V] (absent: tied)
//   blk.N: attn_norm [E]; attn_q [E, H*D]; attn_k, attn_v [E, Hk*D]; attn_q_norm, attn_k_norm [D]
//          attn_output [H*D, E]; ffn_norm [E]; ffn_gate_inp [E, X] (router over X experts)
//          ffn_gate_exps, ffn_up_exps [E, Fx, X]; ffn_down_exps [Fx, E, X] (Fx = expert width)
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_qwen3moe() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "qwen3moe";
    d.rope = RopeStyle::neox;
    d.qk_norm = true;
    d.moe = true;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
