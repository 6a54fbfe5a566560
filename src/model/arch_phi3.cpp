// phi3: fused q/k/v and gate/up projections, NEOX RoPE with LongRoPE frequency factors.
// Tensors, ggml order [row length, rows]; E = n_embd, V = n_vocab, F = n_ff, H/Hk heads of D:
//   token_embd [E, V], output_norm [E], output [E, V] (absent: tied)
//   rope_factors_long, rope_factors_short [R/2] (R = rotated dimensions, often 3/4 of D)
//   blk.N: attn_norm [E]; attn_qkv [E, H*D + 2*Hk*D] (q, k, v rows); attn_output [H*D, E]
//          ffn_norm [E]; ffn_up [E, 2*F] (gate rows, then up rows); ffn_down [F, E]
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_phi3() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "phi3";
    d.rope = RopeStyle::neox;
    d.fused_qkv = true;
    d.fused_gate_up = true;
    d.longrope = true;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
