#include "engine/loader.h"

#include <filesystem>

#include "core/error.h"

namespace hearth::engine {

LoadedModel load_model(const std::string& path, const model::LoadOptions& opts) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(Errc::not_found, path + ": no such model file");
  if (std::filesystem::is_directory(path, ec)) fail(Errc::invalid_argument, path + ": is a directory, not a GGUF file");
  LoadedModel lm;
  auto m = model::Model::load(path, opts);
  lm.tokenizer = tokenizer::Tokenizer::from_gguf(m->file());
  if (static_cast<int64_t>(lm.tokenizer->n_vocab()) > m->n_vocab())
    fail(Errc::format, path + ": the tokenizer has " + std::to_string(lm.tokenizer->n_vocab()) +
                           " tokens but token_embd.weight only " + std::to_string(m->n_vocab()) + " rows");
  lm.model = std::move(m);
  return lm;
}

}  // namespace hearth::engine
