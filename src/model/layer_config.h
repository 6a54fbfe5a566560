// What each decoder layer does differently from the next: its attention window and RoPE. Built
// once when a model loads, from the architecture's layer pattern and the file's hyper-parameters,
// so the forward pass reads one struct per layer instead of model-wide switches.
#pragma once
#include <cstdint>
#include <vector>

#include "model/arch.h"
#include "model/hparams.h"
#include "model/rope.h"

namespace hearth::model {

struct LayerConfig {
  int64_t window = 0;  // attends to the last `window` positions; 0: all of them
  RopeParams rope;     // base, scaling and YaRN range (frequency factors are set per sequence)
};

std::vector<LayerConfig> layer_configs(const ArchDef& arch, const HParams& hp);

}  // namespace hearth::model
