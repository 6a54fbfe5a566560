// qwen2: biases on the q/k/v projections and NeoX-style RoPE.
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_qwen2() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "qwen2";
    d.rope = RopeStyle::neox;
    d.qkv_bias = true;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
