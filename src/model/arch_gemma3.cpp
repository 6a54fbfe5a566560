// gemma3: gemma2's block (scaled embeddings, pre- and post-norms, GELU-gated FFN) with per-head
// q/k RMSNorm and no soft-caps; five of every six layers use a sliding window and RoPE base
// 10000 unscaled, every sixth is global with the file's base and scaling.
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_gemma3() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "gemma3";
    d.rope = RopeStyle::neox;
    d.qk_norm = true;
    d.post_norms = true;
    d.embed_scale = true;
    d.ffn_act = FfnActivation::gelu_f16;
    d.swa = SlidingWindow::five_of_six;
    d.local_rope_default = true;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
