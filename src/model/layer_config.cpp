#include "model/layer_config.h"

namespace hearth::model {

std::vector<LayerConfig> layer_configs(const ArchDef& arch, const HParams& hp) {
  std::vector<LayerConfig> out(static_cast<size_t>(hp.n_layer));
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    LayerConfig& c = out[static_cast<size_t>(il)];
    const bool local = arch.sliding_layer && arch.sliding_layer(il);
    c.window = local ? hp.n_swa : 0;
    // gemma3's local layers keep their own base and ignore the file's scaling.
    const bool own_rope = local && arch.local_rope_base > 0.0f;
    c.rope.base = own_rope ? arch.local_rope_base : hp.rope_base;
    c.rope.freq_scale = own_rope ? 1.0f : hp.rope_freq_scale;
    c.rope.attn_factor = hp.rope_attn_factor;
    if (hp.rope_yarn && !own_rope) {
      c.rope.ext_factor = 1.0f;
      yarn_corr_dims(hp.n_rot, hp.n_ctx_orig, c.rope.base, hp.yarn_beta_fast, hp.yarn_beta_slow, c.rope);
    }
  }
  return out;
}

}  // namespace hearth::model
