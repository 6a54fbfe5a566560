// phi3: fused q/k/v and gate/up projections, NEOX RoPE with LongRoPE frequency factors.
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
