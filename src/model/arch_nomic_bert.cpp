// nomic-bert: bert's encoder with a fused q/k/v projection, NEOX RoPE instead of learned
// positions, and a SwiGLU FFN without biases.
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_nomic_bert() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "nomic-bert";
    d.encoder = true;
    d.encoder_rope = true;
    d.rope = RopeStyle::neox;
    d.fused_qkv = true;
    d.ffn_act = FfnActivation::silu;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
