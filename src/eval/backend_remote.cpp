#include "eval/backend_remote.h"

#include <atomic>
#include <exception>
#include <thread>

#include "core/error.h"

namespace hearth::eval {

RemoteBackend::RemoteBackend(std::shared_ptr<router::Provider> provider, std::string model, int concurrency)
    : p_(std::move(provider)), model_(std::move(model)), concurrency_(std::max(1, concurrency)) {}

json RemoteBackend::describe() const { return {{"backend", "remote"}, {"model", model_}, {"concurrency", concurrency_}}; }

std::vector<RemoteBackend::EchoToken> RemoteBackend::echo(const std::string& prompt) const {
  router::CompletionRequest req;
  req.model = model_;
  req.prompt = prompt;
  req.max_tokens = 0;
  req.echo = true;
  req.temperature = 0;
  req.sampling.logprobs = true;
  req.sampling.top_logprobs = 1;
  req.request_id = "eval";
  std::vector<EchoToken> all;
  p_->completion_stream(req, [&](const router::StreamEvent& e) {
    if (e.kind != router::StreamEvent::Kind::text) return true;
    for (const auto& t : e.logprobs) {
      EchoToken et{t.token, t.logprob, t.has_logprob, true};
      if (!t.top.empty()) et.greedy = t.top[0].token == t.token || t.top[0].logprob <= t.logprob;
      all.push_back(et);
    }
    return true;
  });
  // Servers differ in whether echoed tokens carry a tokenizer's leading space, which moves any
  // boundary counted in prompt bytes; so the prompt is located in the echoed text, and the tokens
  // up to its end are kept (echo flags on the deltas are not relied on).
  std::string joined;
  for (const auto& t : all) joined += t.text;
  size_t pos = joined.find(prompt);
  const size_t stop = pos == std::string::npos ? prompt.size() : pos + prompt.size();
  std::vector<EchoToken> out;
  size_t len = 0;
  for (auto& t : all) {
    if (len >= stop) break;
    len += t.text.size();
    out.push_back(std::move(t));
  }
  return out;
}

bool RemoteBackend::supports_loglikelihood() const {
  std::call_once(probe_once_, [this] {
    try {
      auto toks = echo("Hello world");
      ll_ok_ = !toks.empty();
      bool any = false;
      for (const auto& t : toks) any = any || t.has_logprob;
      if (!any) {
        ll_ok_ = false;
        ll_reason_ = model_ + " returned no prompt log-probabilities (no echo + logprobs)";
      }
    } catch (const router::ProviderError& e) {
      ll_ok_ = false;
      if (e.kind() == router::ErrorKind::unsupported || e.kind() == router::ErrorKind::bad_request ||
          e.kind() == router::ErrorKind::not_found) {
        completions_ok_ = e.kind() != router::ErrorKind::unsupported;
        ll_reason_ = model_ + " offers no /v1/completions echo + logprobs (" + e.what() + ")";
      } else {
        throw;
      }
    }
  });
  return ll_ok_;
}

std::string RemoteBackend::loglikelihood_unavailable_reason() const {
  supports_loglikelihood();
  return ll_reason_ + ": it is a chat-only endpoint for evaluation, so only generate_until tasks can run";
}

LoglikelihoodResult RemoteBackend::one(const LoglikelihoodRequest& r) const {
  std::string prompt = r.context + r.continuation;
  auto toks = echo(prompt);
  std::string joined;
  for (const auto& t : toks) joined += t.text;
  // Locate the prompt in the echoed text: a tokenizer's leading space may come before it and a
  // server may append a generated token after it; only tokens inside the prompt that reach into
  // the continuation count.
  size_t pos = joined.find(prompt);
  size_t boundary, limit = joined.size();
  if (pos != std::string::npos) {
    boundary = pos + r.context.size();
    limit = pos + prompt.size();
  } else {
    boundary = joined.size() >= r.continuation.size() ? joined.size() - r.continuation.size() : 0;
  }
  LoglikelihoodResult res;
  res.is_greedy = true;
  size_t off = 0;
  for (const auto& t : toks) {
    size_t end = off + t.text.size();
    if (end > boundary && off < limit && !t.text.empty()) {  // the token reaches into the continuation
      if (!t.has_logprob) fail(Errc::format, model_ + ": echoed continuation token without a log-probability");
      res.logprob += t.logprob;
      res.is_greedy = res.is_greedy && t.greedy;
      ++res.n_tokens;
    }
    off = end;
  }
  if (res.n_tokens == 0 && !r.continuation.empty())
    fail(Errc::format, model_ + ": the echoed prompt did not contain the continuation's tokens");
  return res;
}

void RemoteBackend::parallel(size_t n, const std::function<void(size_t)>& fn,
                             const std::function<void(size_t)>& done) const {
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::exception_ptr err;
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      {
        std::lock_guard lk(mu);
        if (err) return;
      }
      try {
        fn(i);
        std::lock_guard lk(mu);
        if (done) done(i);
      } catch (...) {
        std::lock_guard lk(mu);
        if (!err) err = std::current_exception();
        return;
      }
    }
  };
  int nt = static_cast<int>(std::min<size_t>(concurrency_, n));
  std::vector<std::thread> th;
  for (int t = 1; t < nt; ++t) th.emplace_back(worker);
  worker();
  for (auto& t : th) t.join();
  if (err) std::rethrow_exception(err);
}

std::vector<LoglikelihoodResult> RemoteBackend::loglikelihood(const std::vector<LoglikelihoodRequest>& reqs,
                                                              const OnLoglikelihood& done) {
  if (!supports_loglikelihood()) fail(Errc::unsupported, loglikelihood_unavailable_reason());
  std::vector<LoglikelihoodResult> out(reqs.size());
  parallel(reqs.size(), [&](size_t i) { out[i] = one(reqs[i]); }, [&](size_t i) {
    if (done) done(i, out[i]);
  });
  return out;
}

RollingResult RemoteBackend::loglikelihood_rolling(const std::string& text, const RollingOptions& opt) {
  if (!supports_loglikelihood()) fail(Errc::unsupported, loglikelihood_unavailable_reason());
  if (opt.method == "llama_perplexity")
    fail(Errc::unsupported, "rolling_method llama_perplexity needs the local engine (token-exact chunks)");
  // Whole text echoed once: every token after the first is predicted by what precedes it.
  auto toks = echo(text);
  RollingResult res;
  for (const auto& t : toks) {
    if (!t.has_logprob) continue;
    res.logprob += t.logprob;
    res.sum_sq += t.logprob * t.logprob;
    ++res.n_tokens;
  }
  return res;
}

std::string RemoteBackend::generate_one(const GenerateRequest& r) const {
  std::string text;
  bool use_chat = r.chat || !completions_ok_;
  std::vector<std::string> stop(r.kwargs.until.begin(), r.kwargs.until.begin() + std::min<size_t>(4, r.kwargs.until.size()));
  double temp = (r.kwargs.do_sample || r.kwargs.temperature > 0) ? r.kwargs.temperature : 0;
  if (!use_chat) {
    router::CompletionRequest req;
    req.model = model_;
    req.prompt = r.context;
    req.max_tokens = r.kwargs.max_gen_toks;
    req.temperature = temp;
    req.stop = stop;
    req.request_id = "eval";
    if (r.seed) req.sampling.seed = r.seed;
    try {
      text = p_->completion(req).message.content;
    } catch (const router::ProviderError& e) {
      if (e.kind() != router::ErrorKind::unsupported) throw;
      use_chat = true;
    }
  }
  if (use_chat) {
    router::ChatRequest req;
    req.model = model_;
    if (r.chat && !r.system.empty()) req.messages.push_back({router::Role::system, r.system});
    req.messages.push_back({router::Role::user, r.context});
    req.max_tokens = r.kwargs.max_gen_toks;
    req.temperature = temp;
    req.stop = stop;
    req.request_id = "eval";
    if (r.seed) req.sampling.seed = r.seed;
    text = p_->chat(req).message.content;
  }
  for (const auto& u : r.kwargs.until) {
    size_t p = u.empty() ? std::string::npos : text.find(u);
    if (p != std::string::npos) text.resize(p);
  }
  return text;
}

std::vector<std::string> RemoteBackend::generate(const std::vector<GenerateRequest>& reqs, const OnGenerated& done) {
  std::vector<std::string> out(reqs.size());
  parallel(reqs.size(), [&](size_t i) { out[i] = generate_one(reqs[i]); }, [&](size_t i) {
    if (done) done(i, out[i]);
  });
  return out;
}

}  // namespace hearth::eval
