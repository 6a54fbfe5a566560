#include "engine/session.h"

#include <algorithm>

#include "core/error.h"

namespace hearth::engine {
namespace {

int64_t pick_ctx(const model::Model& m, int64_t requested) {
  if (requested <= 0) return m.default_n_ctx();
  if (requested > m.hparams().n_ctx_train)
    fail(Errc::invalid_argument, "context size " + std::to_string(requested) + " exceeds the model's trained context of " +
                                     std::to_string(m.hparams().n_ctx_train));
  return requested;
}

}  // namespace

Session::Session(std::shared_ptr<const model::Model> model, std::shared_ptr<const tokenizer::Tokenizer> tok,
                 SessionOptions opts)
    : model_(std::move(model)),
      tok_(std::move(tok)),
      opts_(opts),
      own_pool_(opts.pool ? nullptr : std::make_unique<ThreadPool>(opts.n_threads)),
      pool_(opts.pool ? opts.pool : own_pool_.get()),
      cache_(model_->hparams(), pick_ctx(*model_, opts.n_ctx), opts.kv_types) {}

const std::vector<float>& Session::prompt(std::span<const int32_t> tokens) {
  if (tokens.empty()) fail(Errc::invalid_argument, "empty prompt");
  if (static_cast<int64_t>(tokens.size()) > cache_.n_ctx())
    fail(Errc::out_of_range, "prompt of " + std::to_string(tokens.size()) +
                                 " tokens does not fit in the context size of " + std::to_string(cache_.n_ctx()) +
                                 " (raise --ctx-size or shorten the prompt)");
  size_t common = 0;
  while (common < history_.size() && common < tokens.size() && history_[common] == tokens[common]) ++common;
  if (common == tokens.size() && common == history_.size() && logits_valid_) {
    last_processed_ = 0;
    last_reused_ = static_cast<int64_t>(common);
    return logits_;
  }
  // At least one token must run to produce logits.
  if (common == tokens.size()) --common;
  truncate(static_cast<int64_t>(common));
  logits_valid_ = false;
  auto rest = tokens.subspan(common);
  model_->forward(cache_, rest, false, logits_, pool_);
  history_.insert(history_.end(), rest.begin(), rest.end());
  logits_valid_ = true;
  last_processed_ = static_cast<int64_t>(rest.size());
  last_reused_ = static_cast<int64_t>(common);
  return logits_;
}

const std::vector<float>& Session::step(int32_t token) {
  const int32_t one[1] = {token};
  logits_valid_ = false;
  model_->forward(cache_, one, false, logits_, pool_);
  history_.push_back(token);
  logits_valid_ = true;
  return logits_;
}

const std::vector<float>& Session::extend(std::span<const int32_t> tokens) {
  if (tokens.empty()) fail(Errc::invalid_argument, "extend: no tokens");
  if (static_cast<int64_t>(history_.size() + tokens.size()) > cache_.n_ctx())
    fail(Errc::out_of_range, std::to_string(tokens.size()) + " more tokens do not fit in the context size of " +
                                 std::to_string(cache_.n_ctx()));
  logits_valid_ = false;
  model_->forward(cache_, tokens, true, batch_logits_, pool_);
  history_.insert(history_.end(), tokens.begin(), tokens.end());
  const size_t V = static_cast<size_t>(model_->n_vocab());
  logits_.assign(batch_logits_.end() - static_cast<std::ptrdiff_t>(V), batch_logits_.end());
  logits_valid_ = true;
  return batch_logits_;
}

void Session::truncate(int64_t n) {
  if (n < 0 || n > static_cast<int64_t>(history_.size()))
    fail(Errc::invalid_argument, "cannot truncate a history of " + std::to_string(history_.size()) + " tokens to " +
                                     std::to_string(n));
  if (n == static_cast<int64_t>(history_.size())) return;
  cache_.truncate(n);
  history_.resize(static_cast<size_t>(n));
  logits_valid_ = false;
}

int64_t Session::shift_context() {
  const int64_t n = static_cast<int64_t>(history_.size());
  const int64_t keep = std::clamp<int64_t>(opts_.n_keep, 0, n);
  const int64_t discard = (n - keep) / 2;
  if (discard <= 0 || keep + discard >= n) return 0;
  std::vector<int32_t> kept(history_.begin(), history_.begin() + keep);
  kept.insert(kept.end(), history_.begin() + keep + discard, history_.end());
  // Cached keys carry their old positions, so everything after the kept prefix runs again.
  prompt(kept);
  return discard;
}

void Session::reset() {
  cache_.clear();
  history_.clear();
  logits_valid_ = false;
  last_processed_ = last_reused_ = 0;
}

}  // namespace hearth::engine
