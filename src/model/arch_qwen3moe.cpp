// qwen3moe: qwen3's attention (per-head q/k RMSNorm, NEOX RoPE) with a mixture-of-experts FFN:
// softmax router, the top expert_used_count experts, their weights renormalised.
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
