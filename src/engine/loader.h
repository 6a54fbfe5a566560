#pragma once
#include <memory>
#include <string>

#include "model/model.h"
#include "sampling/grammar_constraint.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {

struct LoadedModel {
  std::shared_ptr<const model::Model> model;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
  // Each token's output bytes, for grammar-constrained sampling (built once per model).
  std::shared_ptr<const sampling::TokenBytes> token_bytes;
};

// The vocabulary's output bytes and end-of-generation tokens, as grammars see them.
std::shared_ptr<const sampling::TokenBytes> token_bytes_of(const tokenizer::Tokenizer& tok);

// Opens a GGUF model and its tokenizer. Errors name the file: not_found, format (not a GGUF,
// bad metadata), unsupported (architecture, tensor type, vocabulary type).
LoadedModel load_model(const std::string& path, const model::LoadOptions& opts = {});

}  // namespace hearth::engine
