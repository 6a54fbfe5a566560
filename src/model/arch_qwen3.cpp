// qwen3: no projection biases; per-head RMSNorm on q and k before NeoX-style RoPE.
// Tensors, ggml order [row length, rows]; E = n_embd, V = n_vocab, F = n_ff, H/Hk heads of D:
//   token_embd [E, V], output_norm [E], output [E, V] (absent: tied)
//   blk.N: attn_norm [E]; attn_q [E, H*D]; attn_k, attn_v [E, Hk*D]; attn_q_norm, attn_k_norm [D]
//          attn_output [H*D, E]; ffn_norm [E]; ffn_gate, ffn_up [E, F]; ffn_down [F, E]
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_qwen3() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "qwen3";
    d.rope = RopeStyle::neox;
    d.qk_norm = true;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
