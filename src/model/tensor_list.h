// The tensors a decoder architecture reads, with their shapes: one list that the weight binder,
// `hearth synth` and the tests all walk, so an architecture's tensors are written down once.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "model/arch.h"
#include "model/hparams.h"
#include "model/weights.h"

namespace hearth::model {

// What a tensor holds (synth draws its values by this; the binder requires f32 for 1-D ones).
enum class TensorRole { matrix, norm, bias, rope_factors };

struct TensorSpec {
  std::string name;
  std::vector<int64_t> dims;  // ggml order: dims[0] is the row length; 0 means "any"
  TensorRole role = TensorRole::matrix;
  bool optional = false;      // absent in some files: the Weight stays empty
  // Where the binder puts it: a whole-model slot, or a slot of layer `layer`.
  Weight Weights::*model_slot = nullptr;
  Weight LayerWeights::*layer_slot = nullptr;
  int64_t layer = -1;
};

// Every tensor `arch` may read, whole-model ones first, then layer by layer. hp.n_vocab must be
// known (it comes from token_embd's shape).
std::vector<TensorSpec> decoder_tensors(const ArchDef& arch, const HParams& hp);

// Binds every tensor of `list` from `f`: shape and type checked, optional ones left empty when
// absent. Throws Error naming the tensor.
Weights bind_tensors(const gguf::File& f, const std::vector<TensorSpec>& list, int64_t n_layer);

}  // namespace hearth::model
