// Text -> one embedding vector: the model's final hidden states pooled as the file declares
// (`pooling_type`: mean over every token, the first (CLS) or the last token; mean when it says
// none) and scaled to unit length.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "model/model.h"

namespace hearth {
class ThreadPool;
}

namespace hearth::engine {

// Runs `tokens` through the model (a fresh cache, nothing kept) and pools them.
std::vector<float> embed_tokens(const model::Model& m, std::span<const int32_t> tokens, ThreadPool* pool);

}  // namespace hearth::engine
