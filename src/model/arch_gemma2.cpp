// gemma2: embeddings scaled by sqrt(n_embd), RMSNorm before and after attention and FFN,
// GELU-gated FFN, sliding-window attention on even layers, soft-capped attention scores and
// logits, NEOX RoPE, tied output.
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_gemma2() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "gemma2";
    d.rope = RopeStyle::neox;
    d.post_norms = true;
    d.embed_scale = true;
    d.ffn_act = FfnActivation::gelu_f16;
    d.swa = SlidingWindow::even_layers;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
