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
  lm.token_bytes = token_bytes_of(*lm.tokenizer);
  return lm;
}

std::shared_ptr<const sampling::TokenBytes> token_bytes_of(const tokenizer::Tokenizer& tok) {
  std::vector<std::string> pieces(tok.n_vocab());
  std::vector<bool> eog(tok.n_vocab(), false);
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto id = static_cast<int32_t>(i);
    eog[i] = tok.is_eog(id);
    if (!tok.is_control(id)) pieces[i] = tok.token_to_piece(id, false);
  }
  return std::make_shared<const sampling::TokenBytes>(std::move(pieces), std::move(eog));
}

}  // namespace hearth::engine
