// bert: an encoder for embeddings: learned positions and token types, biases everywhere,
// LayerNorm after each residual sum, GELU FFN.
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_bert() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "bert";
    d.encoder = true;
    d.learned_positions = true;
    d.ffn_act = FfnActivation::gelu_f16;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
