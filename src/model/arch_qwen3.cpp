// qwen3: no projection biases; per-head RMSNorm on q and k before NeoX-style RoPE.
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
