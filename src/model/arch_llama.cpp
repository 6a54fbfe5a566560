// llama (and Mistral-style GQA llamas): RoPE on adjacent pairs, optional llama-3 frequency
// factors in rope_freqs.weight.
// Tensors, ggml order [row length, rows]; E = n_embd, V = n_vocab, F = n_ff, H/Hk heads of D:
//   token_embd [E, V], output_norm [E], output [E, V] (absent: tied), rope_freqs [D/2] (optional)
//   blk.N: attn_norm [E]; attn_q [E, H*D]; attn_k, attn_v [E, Hk*D]; attn_output [H*D, E]
//          ffn_norm [E]; ffn_gate, ffn_up [E, F]; ffn_down [F, E]
//   with experts (Mixtral): ffn_gate_inp [E, X]; ffn_{gate,up}_exps [E, Fx, X]; ffn_down_exps [Fx, E, X]
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_llama() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "llama";
    d.rope = RopeStyle::adjacent;
    d.rope_freq_factors = true;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
