// A single-sequence inference session: model + KV cache + tokenizer + the token history the
// cache holds. prompt() reuses the longest common prefix of the history, so a chat turn (or a
// repeated prompt) only runs the tokens that are new.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {

struct SessionOptions {
  int64_t n_ctx = 0;   // <= 0: the model's default (trained context capped at 4096)
  int n_threads = 0;   // <= 0: one per hardware thread
  // When generation fills the context: drop the oldest half of the tokens after the first
  // `n_keep` and go on (llama.cpp's --context-shift); otherwise generation stops.
  bool context_shift = false;
  int64_t n_keep = 0;
  model::KvTypes kv_types;  // --cache-type-k / --cache-type-v
  // Run on this pool instead of one of the session's own (it must outlive the session): a
  // serving slot's draft session shares the scheduler's threads.
  ThreadPool* pool = nullptr;
};

class Session {
 public:
  // Throws Error(invalid_argument) for a context size above the model's trained context.
  Session(std::shared_ptr<const model::Model> model, std::shared_ptr<const tokenizer::Tokenizer> tok,
          SessionOptions opts = {});

  // Makes the history equal to `tokens` and returns the logits after its last token
  // (n_vocab floats). Only tokens past the common prefix with the current history are run.
  // Throws Error(out_of_range) when `tokens` does not fit in the context (history unchanged).
  const std::vector<float>& prompt(std::span<const int32_t> tokens);
  // Appends one token and returns its logits. Error(out_of_range) when the context is full.
  const std::vector<float>& step(int32_t token);
  // Appends tokens in one batch and returns the logits after each of them (tokens.size() rows
  // of n_vocab floats; logits() is then the last row). Error(out_of_range) when they do not fit.
  const std::vector<float>& extend(std::span<const int32_t> tokens);
  // Forgets the history after its first n tokens (n <= history().size()); logits() is stale
  // until the next prompt/step/extend.
  void truncate(int64_t n);
  // Forgets history and cache.
  void reset();
  // Drops the older half of the history after its first n_keep tokens and recomputes the cache
  // for what remains (exact: the same as prompting with the shortened history). Returns the
  // number of tokens dropped; 0 when nothing can be dropped (n_keep covers the history).
  int64_t shift_context();

  const std::vector<int32_t>& history() const { return history_; }
  const std::vector<float>& logits() const { return logits_; }
  int64_t n_ctx() const { return cache_.n_ctx(); }
  const model::KvCache& cache() const { return cache_; }
  const SessionOptions& options() const { return opts_; }
  int64_t last_prompt_processed() const { return last_processed_; }  // tokens run by the last prompt()
  int64_t last_prompt_reused() const { return last_reused_; }        // tokens it took from the cache

  const model::Model& model() const { return *model_; }
  const tokenizer::Tokenizer& tokenizer() const { return *tok_; }
  ThreadPool& pool() { return *pool_; }

 private:
  std::shared_ptr<const model::Model> model_;
  std::shared_ptr<const tokenizer::Tokenizer> tok_;
  SessionOptions opts_;
  std::unique_ptr<ThreadPool> own_pool_;
  ThreadPool* pool_;
  model::KvCache cache_;
  std::vector<int32_t> history_;
  std::vector<float> logits_, batch_logits_;
  bool logits_valid_ = false;  // logits_ belong to the last token of history_
  int64_t last_processed_ = 0, last_reused_ = 0;
};

}  // namespace hearth::engine
