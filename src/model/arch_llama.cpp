// llama (and Mistral-style GQA llamas): RoPE on adjacent pairs, optional llama-3 frequency
// factors in rope_freqs.weight.
#include "model/arch.h"

namespace hearth::model {

const ArchDef& arch_llama() {
  static const ArchDef def = [] {
    ArchDef d;
    d.name = "llama";
    d.rope = RopeStyle::adjacent;
    d.rope_freq_factors = true;
    return d;
  }();
  return def;
}

}  // namespace hearth::model
