// Mixture-of-experts feed-forward (Mixtral, Qwen3-MoE): a router picks, per token, the
// expert_used_count experts with the highest softmax probability; their SwiGLU outputs are summed
// with those probabilities renormalised to 1.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "core/thread_pool.h"
#include "model/arch.h"
#include "model/hparams.h"
#include "model/weights.h"
#include "tensor/dispatch.h"

namespace hearth::model {

// The router's choices for n tokens: for each expert, the tokens it serves (in ascending order)
// with their mixing weights. Every token appears under expert_used_count experts.
struct MoeRouting {
  std::vector<std::vector<std::pair<int64_t, float>>> by_expert;
};
MoeRouting moe_route(const tensor::Kernels& k, const LayerWeights& L, const HParams& hp, const ArchDef& arch,
                     const float* x, int64_t n, ThreadPool* pool);

// y (n x n_embd) = MoE-FFN of x (n x n_embd). Tokens routed to the same expert are computed
// together, so a prompt reads each chosen expert's weights once.
void moe_ffn(const tensor::Kernels& k, const LayerWeights& L, const HParams& hp, const ArchDef& arch, const float* x,
             int64_t n, float* y, ThreadPool* pool);

}  // namespace hearth::model
