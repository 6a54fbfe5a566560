// Views of the model's tensors inside the GGUF memory map, until place_weights moves the matrices
// into one huge-page arena (rewritten into a faster layout where the model's kernels have one).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "tensor/interleave.h"
#include "tensor/types.h"

namespace hearth::model {

// A 1-D or 2-D weight: `rows` rows of `cols` elements in ggml layout.
struct Weight {
  const void* data = nullptr;
  tensor::Type type = tensor::Type::F32;
  int64_t rows = 0;
  int64_t cols = 0;
  std::string name;
  tensor::Layout layout = tensor::Layout::rows;

  int64_t n_expert = 1;        // stacked expert matrices (3-D tensors): `rows` x `cols` each
  size_t expert_stride = 0;    // bytes from one expert's matrix to the next

  explicit operator bool() const { return data != nullptr; }
  const float* f32() const { return static_cast<const float*>(data); }
  // Expert e of a stacked weight, as a plain matrix.
  Weight expert(int64_t e) const {
    Weight w = *this;
    w.data = static_cast<const uint8_t*>(data) + static_cast<size_t>(e) * expert_stride;
    w.n_expert = 1;
    return w;
  }
};

struct LayerWeights {
  Weight attn_norm, wq, wk, wv, wo;
  Weight wqkv;                // phi3: q, k, v in one matrix (then wq/wk/wv are empty)
  Weight bq, bk, bv;          // qwen2
  Weight q_norm, k_norm;      // qwen3
  Weight ffn_norm, gate, up, down;
  Weight post_attn_norm, post_ffn_norm;  // gemma
  Weight gate_up;             // phi3: [gate; up] in one matrix (then gate/up are empty)
  // Mixture of experts (then gate/up/down are empty): the router and the stacked experts.
  Weight gate_inp, gate_exps, up_exps, down_exps;
  // Optional biases (gpt-oss): the router's, and per expert (rows = experts).
  Weight gate_inp_b, gate_exps_b, up_exps_b, down_exps_b;
  Weight bo;                  // attn_output.bias (optional)
  Weight attn_sinks;          // per-head sink logits (gpt-oss)
};

struct Weights {
  Weight token_embd;
  Weight output_norm;
  Weight output;              // token_embd when tied
  Weight rope_freqs;          // llama-3 frequency factors (optional)
  Weight rope_long, rope_short;  // LongRoPE frequency factors (optional)
  std::vector<LayerWeights> layers;
};

// Heap copies of weights in another layout, 64-byte aligned.
struct FreeBytes {
  void operator()(uint8_t* p) const { std::free(p); }
};
using OwnedBytes = std::unique_ptr<uint8_t, FreeBytes>;

// Moves every matrix into one huge-page buffer appended to `owned`: interleaved
// (tensor/interleave.h) where `kernels` compute it faster, row for row otherwise. Drops the file
// pages it came from (when `map` is the file's mapping), so memory stays near the file's size. An
// untied token_embd keeps its rows in the file (lookups read a few of them); a tied one shares the
// output's copy.
// Layers below `first_layer` (and the output when !output) are left alone, but for their
// experts unless `gpu_experts`: a GPU runs those layers, their experts too when gpu_experts.
void place_weights(const tensor::Kernels& kernels, Weights& w, const MappedFile* map,
                   std::vector<OwnedBytes>& owned, int64_t first_layer = 0, bool output = true,
                   bool gpu_experts = false);

// Looks tensors up by name and checks shape and type. `cols`/`rows` of 0 mean "any".
// Throws Error(format) for a missing tensor or wrong shape, Error(unsupported) for a type hearth
// cannot compute with; both name the tensor.
Weight bind_matrix(const gguf::File& f, const std::string& name, int64_t cols, int64_t rows);
Weight bind_vector(const gguf::File& f, const std::string& name, int64_t n);  // must be F32
// As above, but an absent tensor gives an empty Weight.
Weight bind_optional_matrix(const gguf::File& f, const std::string& name, int64_t cols, int64_t rows);
Weight bind_optional_vector(const gguf::File& f, const std::string& name, int64_t n);
// A 3-D tensor of `n_expert` stacked `rows` x `cols` matrices.
Weight bind_experts(const gguf::File& f, const std::string& name, int64_t cols, int64_t rows, int64_t n_expert);

}  // namespace hearth::model
