#pragma once
#include <memory>
#include <string>

#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {

struct LoadedModel {
  std::shared_ptr<const model::Model> model;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
};

// Opens a GGUF model and its tokenizer. Errors name the file: not_found, format (not a GGUF,
// bad metadata), unsupported (architecture, tensor type, vocabulary type).
LoadedModel load_model(const std::string& path, const model::LoadOptions& opts = {});

}  // namespace hearth::engine
