#include "eval/backend_local.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "engine/chat_format.h"
#include "eval/logprob.h"
#include "sampling/sampler.h"

namespace hearth::eval {

LocalBackend::LocalBackend(const std::string& path, const BackendOptions& opts)
    : path_(path),
      opts_(opts),
      lm_(engine::load_model(path, opts.load)),
      pool_(opts.n_threads),
      n_ctx_(opts.n_ctx > 0 ? opts.n_ctx : lm_.model->default_n_ctx()),
      cache_(lm_.model->hparams(), n_ctx_) {
  if (opts.n_ctx > lm_.model->hparams().n_ctx_train && lm_.model->hparams().n_ctx_train > 0)
    fail(Errc::invalid_argument, "context " + std::to_string(opts.n_ctx) + " exceeds the model's trained context of " +
                                     std::to_string(lm_.model->hparams().n_ctx_train));
}

json LocalBackend::describe() const {
  return {{"backend", "local"}, {"model_path", path_}, {"n_ctx", n_ctx_}, {"n_threads", pool_.size()},
          {"prefix_reuse", opts_.prefix_reuse}};
}

void LocalBackend::run(std::span<const int32_t> toks, bool all_logits) {
  if (toks.empty()) return;
  lm_.model->forward(cache_, toks, all_logits, logits_, &pool_);
  hist_.insert(hist_.end(), toks.begin(), toks.end());
  tokens_run_ += static_cast<int64_t>(toks.size());
}

void LocalBackend::sync_prefix(const std::vector<int32_t>& seq, size_t keep) {
  size_t common = 0;
  if (opts_.prefix_reuse) {
    size_t lim = std::min({hist_.size(), keep, seq.size()});
    while (common < lim && hist_[common] == seq[common]) ++common;
  }
  cache_.truncate(static_cast<int64_t>(common));
  hist_.resize(common);
  run(std::span(seq.data() + common, keep - common), false);
}

const engine::ChatFormatter& LocalBackend::formatter() {
  if (!formatter_) formatter_ = std::make_unique<engine::ChatFormatter>(lm_.model->file(), *lm_.tokenizer);
  return *formatter_;
}

std::vector<engine::ChatMessage> LocalBackend::chat_messages(const std::string& system, const std::string& user) const {
  std::vector<engine::ChatMessage> m;
  if (!system.empty()) m.push_back({"system", system});
  m.push_back({"user", user});
  return m;
}

std::optional<std::string> LocalBackend::render_chat(const std::string& system, const std::string& user) {
  return formatter().render(chat_messages(system, user), true);
}

LoglikelihoodResult LocalBackend::one(const LoglikelihoodRequest& r) {
  const auto& tok = *lm_.tokenizer;
  // A rendered chat prompt holds the template's special tokens (and its BOS, if it writes one).
  auto encode = [&](const std::string& s) { return r.chat ? formatter().encode(s) : tok.encode(s, true, false); };
  std::vector<int32_t> ctx = encode(r.context);
  std::vector<int32_t> whole = encode(r.context + r.continuation);
  std::vector<int32_t> cont;
  // The harness's split: the continuation is whatever the joint encoding has past the context's
  // own encoding, so a word the boundary merges is still scored once.
  if (whole.size() > ctx.size() && std::equal(ctx.begin(), ctx.end(), whole.begin()))
    cont.assign(whole.begin() + static_cast<long>(ctx.size()), whole.end());
  else
    cont = tok.encode(r.continuation, false, false);
  if (ctx.empty()) {
    int32_t start = tok.bos() >= 0 ? tok.bos() : tok.eos();
    if (start < 0) fail(Errc::unsupported, "the model's vocabulary has neither BOS nor EOS to start an empty context");
    ctx.push_back(start);
  }
  LoglikelihoodResult res;
  if (cont.empty()) return res;
  if (static_cast<int64_t>(cont.size()) >= n_ctx_)
    fail(Errc::out_of_range, "continuation of " + std::to_string(cont.size()) + " tokens does not fit the context of " +
                                 std::to_string(n_ctx_));
  // Too long: keep the end of the context, as the harness truncates from the left.
  int64_t over = static_cast<int64_t>(ctx.size() + cont.size()) - 1 - n_ctx_;
  if (over > 0) ctx.erase(ctx.begin(), ctx.begin() + over);
  std::vector<int32_t> seq = ctx;
  seq.insert(seq.end(), cont.begin(), cont.end());
  // Logits are needed from the last context token on; everything before it is only KV.
  sync_prefix(seq, ctx.size() - 1);
  run(std::span(seq.data() + ctx.size() - 1, cont.size()), true);
  const int64_t nv = lm_.model->n_vocab();
  res.is_greedy = true;
  res.n_tokens = static_cast<int>(cont.size());
  for (size_t j = 0; j < cont.size(); ++j) {
    const float* row = logits_.data() + j * nv;
    res.logprob += token_logprob(row, nv, cont[j]);
    if (row_argmax(row, nv) != cont[j]) res.is_greedy = false;
  }
  return res;
}

std::vector<LoglikelihoodResult> LocalBackend::loglikelihood(const std::vector<LoglikelihoodRequest>& reqs,
                                                             const OnLoglikelihood& done) {
  std::vector<LoglikelihoodResult> out(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    out[i] = one(reqs[i]);
    if (done) done(i, out[i]);
  }
  return out;
}

// llama-perplexity: consecutive chunks of n tokens, BOS in each chunk's first slot, only the
// second half scored. Several chunks go through the model together (one weight pass).
RollingResult LocalBackend::rolling_llama(const std::vector<int32_t>& tokens, int n, const RollingOptions& opt) {
  const auto& tok = *lm_.tokenizer;
  const int64_t n_chunks = static_cast<int64_t>(tokens.size()) / n;
  if (n_chunks == 0)
    fail(Errc::invalid_argument, "text of " + std::to_string(tokens.size()) + " tokens is shorter than one chunk of " +
                                     std::to_string(n));
  const int kBatch = 4;
  std::vector<std::unique_ptr<model::KvCache>> caches;
  for (int b = 0; b < kBatch; ++b) caches.push_back(std::make_unique<model::KvCache>(lm_.model->hparams(), n));
  const int64_t nv = lm_.model->n_vocab();
  const int first = n / 2;
  RollingResult res;
  std::vector<std::vector<int32_t>> chunk(kBatch);
  std::vector<float> logits;
  for (int64_t c0 = 0; c0 < n_chunks; c0 += kBatch) {
    int nb = static_cast<int>(std::min<int64_t>(kBatch, n_chunks - c0));
    std::vector<model::Model::SeqBatch> seqs;
    for (int b = 0; b < nb; ++b) {
      const int32_t* src = tokens.data() + (c0 + b) * n;
      chunk[b].assign(src, src + n);
      if (tok.add_bos() && tok.bos() >= 0) chunk[b][0] = tok.bos();
      caches[b]->clear();
      seqs.push_back({caches[b].get(), std::span<const int32_t>(chunk[b]), true});
    }
    lm_.model->forward_batch(seqs, logits, &pool_);
    tokens_run_ += static_cast<int64_t>(nb) * n;
    for (int b = 0; b < nb; ++b) {
      const float* base = logits.data() + static_cast<int64_t>(b) * n * nv;
      const int32_t* src = tokens.data() + (c0 + b) * n;
      for (int j = first; j < n - 1; ++j) {
        double lp = token_logprob(base + static_cast<int64_t>(j) * nv, nv, src[j + 1]);
        res.logprob += lp;
        res.sum_sq += lp * lp;
        ++res.n_tokens;
      }
    }
    if (opt.progress) opt.progress((c0 + nb) * n, n_chunks * n);
  }
  return res;
}

// The harness's rolling windows: the first predicts tokens [0, n) after a start token; each
// later window predicts the next up-to-n tokens with the tokens before them as context.
RollingResult LocalBackend::rolling_lm_eval(const std::vector<int32_t>& tokens, int n, const RollingOptions& opt) {
  const auto& tok = *lm_.tokenizer;
  int32_t start = tok.bos() >= 0 ? tok.bos() : tok.eos();
  if (start < 0) fail(Errc::unsupported, "the model's vocabulary has neither BOS nor EOS to start a window");
  RollingResult res;
  const int64_t nv = lm_.model->n_vocab();
  const int64_t total = static_cast<int64_t>(tokens.size());
  int64_t predicted = 0;
  while (predicted < total) {
    int64_t pred = std::min<int64_t>(n, total - predicted);
    int64_t end = predicted + pred;
    std::vector<int32_t> input;
    if (predicted == 0) {
      input.push_back(start);
      input.insert(input.end(), tokens.begin(), tokens.begin() + end - 1);
    } else {
      int64_t from = std::max<int64_t>(0, end - n - 1);
      input.assign(tokens.begin() + from, tokens.begin() + end - 1);
    }
    cache_.clear();
    hist_.clear();
    run(input, true);
    int64_t off = static_cast<int64_t>(input.size()) - pred;
    for (int64_t j = 0; j < pred; ++j) {
      double lp = token_logprob(logits_.data() + (off + j) * nv, nv, tokens[predicted + j]);
      res.logprob += lp;
      res.sum_sq += lp * lp;
      ++res.n_tokens;
    }
    predicted = end;
    if (opt.progress) opt.progress(predicted, total);
  }
  cache_.clear();
  hist_.clear();
  return res;
}

RollingResult LocalBackend::loglikelihood_rolling(const std::string& text, const RollingOptions& opt) {
  int n = opt.context > 0 ? opt.context : static_cast<int>(n_ctx_);
  if (n > lm_.model->hparams().n_ctx_train && lm_.model->hparams().n_ctx_train > 0)
    fail(Errc::invalid_argument, "rolling context " + std::to_string(n) + " exceeds the model's trained context");
  if (opt.method == "llama_perplexity") return rolling_llama(lm_.tokenizer->encode(text, true, false), n, opt);
  if (n > n_ctx_) fail(Errc::invalid_argument, "rolling context " + std::to_string(n) + " exceeds --ctx " + std::to_string(n_ctx_));
  return rolling_lm_eval(lm_.tokenizer->encode(text, false, false), n, opt);
}

std::string LocalBackend::generate_one(const GenerateRequest& r) {
  const auto& tok = *lm_.tokenizer;
  std::vector<int32_t> prompt;
  if (r.chat) {
    prompt = formatter().tokenize(chat_messages(r.system, r.context), true);
  } else {
    prompt = tok.encode(r.context, true, false);
  }
  if (prompt.empty()) prompt.push_back(tok.bos() >= 0 ? tok.bos() : 0);
  const int max_new = r.kwargs.max_gen_toks;
  // Leave room to generate: drop the start of an over-long prompt.
  int64_t room = n_ctx_ - std::min<int64_t>(max_new, n_ctx_ / 2);
  if (static_cast<int64_t>(prompt.size()) > room) prompt.erase(prompt.begin(), prompt.end() - room);
  sync_prefix(prompt, prompt.size() - 1);
  run(std::span(prompt.data() + prompt.size() - 1, 1), false);
  sampling::Params sp;
  sp.temperature = (r.kwargs.do_sample || r.kwargs.temperature > 0) ? static_cast<float>(r.kwargs.temperature) : 0.f;
  if (r.kwargs.do_sample && sp.temperature <= 0) sp.temperature = 1.0f;
  sp.top_k = 0;
  sp.top_p = 1.0f;
  sp.min_p = 0.f;
  sp.seed = r.seed;
  sampling::Sampler sampler(sp, static_cast<int32_t>(lm_.model->n_vocab()));
  tokenizer::StreamDecoder dec(tok);
  std::string text;
  for (int i = 0; i < max_new; ++i) {
    int32_t t = sampler.sample(logits_.data());
    if (tok.is_eog(t)) break;
    text += dec.push(t);
    bool stop = false;
    for (const auto& u : r.kwargs.until) {
      if (u.empty()) continue;
      size_t p = text.find(u);
      if (p != std::string::npos) {
        text.resize(p);
        stop = true;
      }
    }
    if (stop) return text;
    if (cache_.size() + 1 > n_ctx_) break;
    std::array<int32_t, 1> one{t};
    run(one, false);
  }
  text += dec.flush();
  for (const auto& u : r.kwargs.until) {
    size_t p = u.empty() ? std::string::npos : text.find(u);
    if (p != std::string::npos) text.resize(p);
  }
  return text;
}

std::vector<std::string> LocalBackend::generate(const std::vector<GenerateRequest>& reqs, const OnGenerated& done) {
  std::vector<std::string> out(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    out[i] = generate_one(reqs[i]);
    if (done) done(i, out[i]);
  }
  return out;
}

}  // namespace hearth::eval
