// gpt-oss: biased q/k/v/o projections, per-head attention sinks, sliding-window attention on
// even layers, NEOX RoPE; a mixture of experts with biases everywhere, a softmax over the chosen
// experts' logits and a clamped SwiGLU. The FFN pre-norm is stored as post_attention_norm.
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_gpt_oss() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "gpt-oss";
    d.rope = RopeStyle::neox;
    d.qkv_bias = true;
    d.moe = true;
    d.moe_gating = MoeGating::softmax_chosen;
    d.ffn_act = FfnActivation::swiglu_oai;
    d.ffn_norm_tensor = "post_attention_norm";
    d.swa = SlidingWindow::even_layers;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
