#include "engine/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "core/log.h"
#include "core/thread_pool.h"
#include "engine/embed.h"
#include "engine/partial_match.h"
#include "engine/prompt_plan.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "sampling/grammar_constraint.h"
#include "tokenizer/tokenizer.h"

namespace hearth::engine {
namespace {

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// log-softmax of one row at `id`, plus the `top` best alternatives.
TokenProb token_prob(const float* row, int64_t n_vocab, int32_t id, int top) {
  float mx = -INFINITY;
  for (int64_t i = 0; i < n_vocab; ++i) mx = std::max(mx, row[i]);
  double sum = 0;
  for (int64_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(row[i] - mx));
  const float lse = mx + static_cast<float>(std::log(sum));
  TokenProb p;
  p.id = id;
  p.logprob = row[id] - lse;
  if (top > 0) {
    std::vector<int32_t> idx(static_cast<size_t>(n_vocab));
    std::iota(idx.begin(), idx.end(), 0);
    const int k = static_cast<int>(std::min<int64_t>(top, n_vocab));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int32_t a, int32_t b) {
      return row[a] > row[b] || (row[a] == row[b] && a < b);
    });
    for (int i = 0; i < k; ++i) p.top.emplace_back(idx[i], row[idx[i]] - lse);
  }
  return p;
}

// Length of the longest suffix of `text` that is a proper prefix of some stop string: that much
// text must be held back, since the next token may complete the stop string.
size_t held_back(const std::string& text, const std::vector<std::string>& stops) {
  size_t keep = 0;
  for (const auto& s : stops) keep = std::max(keep, partial_match(text, s));
  return keep;
}

}  // namespace

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::context_full: return "context_full";
    case FinishReason::cancelled: return "cancelled";
  }
  return "unknown";
}

void Job::push(GenEvent e) {
  std::lock_guard<std::mutex> lk(mu_);
  if (closed_) return;
  if (e.kind != GenEvent::Kind::text) closed_ = true;
  events_.push_back(std::move(e));
  cv_.notify_one();
}

bool Job::next(GenEvent& e) {
  std::unique_lock<std::mutex> lk(mu_);
  if (consumed_) return false;
  cv_.wait(lk, [&] { return !events_.empty(); });
  e = std::move(events_.front());
  events_.pop_front();
  if (e.kind != GenEvent::Kind::text) consumed_ = true;
  return true;
}

struct Scheduler::Slot {
  Slot(const model::HParams& hp, int64_t n_ctx, model::KvTypes types) : cache(hp, n_ctx, types) {}
  model::KvCache cache;
  std::vector<int32_t> history;  // the tokens whose keys and values the cache holds
  bool busy = false;
  uint64_t last_used = 0;

  Pending cur;
  std::unique_ptr<sampling::Sampler> sampler;
  std::unique_ptr<tokenizer::StreamDecoder> decoder;
  size_t prompt_pos = 0;  // next prompt token to run
  uint64_t admit_step = 0;  // step count when admitted (ages a waiting prompt)
  bool decoding = false;
  int32_t last_token = -1;  // sampled, not yet run
  std::string text;         // decoded output not yet sent (a possible stop-string prefix)
  std::vector<TokenProb> probs;
  std::vector<float> prev_row;  // logits of the last prompt row run (echo logprobs across chunks)
  std::unique_ptr<Drafter> drafter;  // speculative decoding (nullptr: off)
  GenStats stats;
  double t_admit = 0, t_first = 0;
};

Scheduler::Scheduler(LoadedModel model, SchedulerOptions opts) : model_(std::move(model)), opts_(opts) {
  if (opts_.parallel < 1) fail(Errc::invalid_argument, "--parallel must be at least 1");
  if (opts_.queue_limit < 0) fail(Errc::invalid_argument, "the queue limit must not be negative");
  if (opts_.n_batch < 1) fail(Errc::invalid_argument, "the batch size must be at least 1");
  if (opts_.prompt_target < 1) fail(Errc::invalid_argument, "the prompt step target must be at least 1");
  const auto& m = *model_.model;
  const int64_t total = opts_.n_ctx > 0 ? opts_.n_ctx : m.default_n_ctx() * opts_.parallel;
  slot_ctx_ = total / opts_.parallel;
  if (slot_ctx_ < 8)
    fail(Errc::invalid_argument, "--ctx-size " + std::to_string(total) + " leaves " + std::to_string(slot_ctx_) +
                                     " tokens per slot for " + std::to_string(opts_.parallel) + " slots (need at least 8)");
  if (slot_ctx_ > m.hparams().n_ctx_train)
    fail(Errc::invalid_argument, "a context of " + std::to_string(slot_ctx_) + " tokens per slot exceeds the model's trained context of " +
                                     std::to_string(m.hparams().n_ctx_train));
  pool_ = std::make_unique<ThreadPool>(opts_.n_threads);
  for (int i = 0; i < opts_.parallel; ++i) slots_.push_back(std::make_unique<Slot>(m.hparams(), slot_ctx_, opts_.kv_types));
  seed_prefix();
  make_drafters();
  metrics_.slots_total = opts_.parallel;
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::seed_prefix() {
  if (!opts_.prefix) return;
  const model::KvSnapshot& p = *opts_.prefix;
  std::string why = p.mismatch(slots_.front()->cache);
  const int64_t n_vocab = model_.model->hparams().n_vocab;
  for (int32_t t : p.tokens)
    if (t >= n_vocab) why = "it names token " + std::to_string(t) + " outside the vocabulary";
  if (!why.empty()) {
    log::warn("serve: not using the precomputed prompt prefix: " + why);
    return;
  }
  for (auto& s : slots_) {
    p.restore(s->cache);
    s->history = p.tokens;
  }
  log::info("serve: " + std::to_string(p.tokens.size()) + " prompt tokens precomputed in every slot");
}

void Scheduler::make_drafters() {
  const SpeculativeOptions& so = opts_.speculative;
  if (opts_.lookup_ngram <= 0 && opts_.draft_model.empty()) return;
  require_one_drafter(opts_.draft_model, opts_.lookup_ngram);
  validate_speculative(so);
  LoadedModel draft;
  SessionOptions session;
  if (!opts_.draft_model.empty()) {
    draft = load_model(opts_.draft_model, opts_.draft_load);
    // Each slot drafts in its own session, as long as the slot (or the draft's trained context).
    session.n_ctx = std::min(slot_ctx_, draft.model->hparams().n_ctx_train);
    session.kv_types = opts_.kv_types;
    session.pool = pool_.get();  // drafting runs on the inference thread, between steps
  }
  for (auto& s : slots_) {
    if (opts_.lookup_ngram > 0)
      s->drafter = std::make_unique<LookupDrafter>(opts_.lookup_ngram);
    else
      s->drafter = std::make_unique<ModelDrafter>(draft.model, draft.tokenizer, *model_.model, session, so.draft_p_min);
  }
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  GenEvent e;
  e.kind = GenEvent::Kind::error;
  e.error_code = Errc::cancelled;
  e.error = "the server is shutting down";
  for (auto& s : slots_)
    if (s->busy) s->cur.job->push(e);
  for (auto& p : queue_) p.job->push(e);
}

std::shared_ptr<Job> Scheduler::submit(GenRequest req) {
  const int64_t n = static_cast<int64_t>(req.prompt.size());
  if (n == 0) fail(Errc::invalid_argument, "the prompt is empty");
  const int64_t n_vocab = model_.model->n_vocab();
  for (int32_t t : req.prompt)
    if (t < 0 || t >= n_vocab)
      fail(Errc::invalid_argument, "token id " + std::to_string(t) + " is outside the vocabulary (" +
                                       std::to_string(n_vocab) + " tokens)");
  if (n > slot_ctx_)
    fail(Errc::out_of_range, "the prompt has " + std::to_string(n) + " tokens but the context holds " +
                                 std::to_string(slot_ctx_) + " per request (raise --ctx-size or lower --parallel)");
  if (req.top_logprobs < 0 || req.top_logprobs > 20)
    fail(Errc::invalid_argument, "top_logprobs must be between 0 and 20");
  sampling::validate(req.sampling);

  auto job = std::make_shared<Job>();
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stop_) fail(Errc::overloaded, "the server is shutting down");
    int idle = 0;
    for (auto& s : slots_) idle += s->busy ? 0 : 1;
    if (static_cast<int64_t>(queue_.size()) >= opts_.queue_limit + idle) {
      ++metrics_.rejected_total;
      fail(Errc::overloaded, "the server is busy: " + std::to_string(queue_.size()) +
                                 " requests are waiting (try again shortly)");
    }
    queue_.push_back(Pending{std::move(req), job, now_ms()});
    ++metrics_.requests_total;
    metrics_.queue_depth = static_cast<int>(queue_.size());
  }
  cv_.notify_one();
  return job;
}

SchedulerMetrics Scheduler::metrics() const {
  std::lock_guard<std::mutex> lk(mu_);
  return metrics_;
}

Scheduler::Slot* Scheduler::pick_slot(const std::vector<int32_t>& prompt, bool use_cache, int64_t* reuse) {
  // A slot is worth what it saves (the shared prefix) minus what taking it destroys (the rest of
  // its cached conversation), so a new chat that shares only BOS or a system prompt goes to an
  // empty or stale slot instead of evicting someone's history. Ties: least recently used.
  Slot* best = nullptr;
  int64_t best_lcp = 0, best_score = 0;
  for (auto& s : slots_) {
    if (s->busy) continue;
    int64_t lcp = 0;
    if (use_cache) {
      const size_t lim = std::min(prompt.size(), s->history.size());
      while (static_cast<size_t>(lcp) < lim && prompt[lcp] == s->history[lcp]) ++lcp;
    }
    const int64_t score = lcp - (static_cast<int64_t>(s->history.size()) - lcp);
    if (!best || score > best_score || (score == best_score && s->last_used < best->last_used)) {
      best = s.get();
      best_lcp = lcp;
      best_score = score;
    }
  }
  // At least one prompt token must run to get logits to sample from.
  if (best) *reuse = std::min<int64_t>(best_lcp, static_cast<int64_t>(prompt.size()) - 1);
  return best;
}

void Scheduler::loop() {
  uint64_t tick = 0;
  for (;;) {
    std::vector<Pending> incoming;
    {
      std::unique_lock<std::mutex> lk(mu_);
      auto any_busy = [&] {
        for (auto& s : slots_)
          if (s->busy) return true;
        return false;
      };
      cv_.wait(lk, [&] { return stop_ || !queue_.empty() || any_busy(); });
      if (stop_) return;
      int idle = 0;
      for (auto& s : slots_) idle += s->busy ? 0 : 1;
      while (!queue_.empty()) {
        Pending& p = queue_.front();
        if (!p.req.embedding && !p.job->cancelled()) {
          if (idle == 0) break;
          --idle;
        }
        incoming.push_back(std::move(p));
        queue_.pop_front();
      }
      metrics_.queue_depth = static_cast<int>(queue_.size());
    }
    for (auto& p : incoming) {
      if (p.job->cancelled()) {
        std::lock_guard<std::mutex> lk(mu_);
        ++metrics_.cancelled_total;
        continue;
      }
      if (p.req.embedding) {
        run_embedding(p);
        continue;
      }
      int64_t reuse = 0;
      const bool cache_ok = p.req.use_cache && !(p.req.echo && p.req.logprobs);
      Slot* s = pick_slot(p.req.prompt, cache_ok, &reuse);
      s->cache.truncate(reuse);
      s->history.resize(static_cast<size_t>(reuse));
      s->busy = true;
      s->last_used = ++tick;
      s->prompt_pos = static_cast<size_t>(reuse);
      s->admit_step = step_no_;
      s->decoding = false;
      s->last_token = -1;
      s->text.clear();
      s->probs.clear();
      s->prev_row.clear();
      s->stats = GenStats{};
      s->stats.prompt_tokens = static_cast<int64_t>(p.req.prompt.size());
      s->stats.cached_tokens = reuse;
      s->t_admit = now_ms();
      s->t_first = 0;
      s->stats.queue_ms = s->t_admit - p.submitted_ms;
      s->sampler = std::make_unique<sampling::Sampler>(p.req.sampling, static_cast<int32_t>(model_.model->n_vocab()));
      for (int32_t t : p.req.prompt) s->sampler->accept_prompt(t);
      if (p.req.grammar) {
        auto c = std::make_unique<sampling::GrammarConstraint>(p.req.grammar, model_.token_bytes, p.req.grammar_triggers);
        for (int32_t t : p.req.text_tokens) c->add_text_token(t, model_.tokenizer->token_to_piece(t, true));
        s->sampler->set_constraint(std::move(c));
      }
      s->decoder = std::make_unique<tokenizer::StreamDecoder>(*model_.tokenizer);
      s->decoder->push(p.req.prompt.back());  // so the first output piece keeps its leading space
      for (int32_t t : p.req.text_tokens) s->decoder->add_text_token(t);
      s->cur = std::move(p);
      if (s->cur.req.echo && s->cur.req.logprobs && reuse == 0) {
        GenEvent e;  // the first prompt token has no predecessor to score it
        e.echo = true;
        TokenProb tp;
        tp.id = s->cur.req.prompt[0];
        tp.has_logprob = false;
        e.probs.push_back(tp);
        s->cur.job->push(std::move(e));
      }
      std::lock_guard<std::mutex> lk(mu_);
      metrics_.prompt_tokens_total += s->stats.prompt_tokens;
      metrics_.cached_tokens_total += reuse;
    }
    bool busy = false;
    for (auto& s : slots_) busy = busy || s->busy;
    if (busy) step();
    {
      std::lock_guard<std::mutex> lk(mu_);
      int b = 0;
      for (auto& s : slots_) b += s->busy ? 1 : 0;
      metrics_.slots_busy = b;
    }
  }
}

void Scheduler::run_embedding(Pending& p) {
  const auto& m = *model_.model;
  const int64_t n = static_cast<int64_t>(p.req.prompt.size());
  GenEvent done;
  done.kind = GenEvent::Kind::done;
  done.stats.prompt_tokens = n;
  done.stats.queue_ms = now_ms() - p.submitted_ms;
  const double t0 = now_ms();
  try {
    done.embedding = embed_tokens(m, p.req.prompt, pool_.get());
  } catch (const Error& e) {
    GenEvent err;
    err.kind = GenEvent::Kind::error;
    err.error_code = e.code();
    err.error = e.what();
    p.job->push(std::move(err));
    return;
  }
  done.stats.prompt_ms = now_ms() - t0;
  {
    std::lock_guard<std::mutex> lk(mu_);
    metrics_.prompt_tokens_total += n;
  }
  p.job->push(std::move(done));
}

void Scheduler::finish(Slot& s, FinishReason why, bool flush, const std::string& stop_sequence) {
  GenEvent last;
  // Anything held back for a possible stop string that never came is real output.
  last.text = std::move(s.text);
  if (flush && why != FinishReason::cancelled) last.text += s.decoder->flush();
  last.probs = std::move(s.probs);
  if (!last.text.empty() || !last.probs.empty()) s.cur.job->push(std::move(last));
  GenEvent done;
  done.kind = GenEvent::Kind::done;
  done.finish = why;
  done.stop_sequence = stop_sequence;
  s.stats.gen_ms = s.t_first > 0 ? now_ms() - s.t_first : 0;
  done.stats = s.stats;
  s.cur.job->push(std::move(done));
  s.busy = false;
  s.sampler.reset();
  s.decoder.reset();
  s.cur = Pending{};
  if (why == FinishReason::cancelled) {
    std::lock_guard<std::mutex> lk(mu_);
    ++metrics_.cancelled_total;
  }
}

void Scheduler::fail_slot(Slot& s, const Error& e) {
  GenEvent err;
  err.kind = GenEvent::Kind::error;
  err.error_code = e.code();
  err.error = e.what();
  s.cur.job->push(std::move(err));
  s.busy = false;
  s.cur = Pending{};
  // The cache may hold part of a batch that failed: forget it rather than trust it.
  s.cache.clear();
  s.history.clear();
}

std::vector<int32_t> Scheduler::draft_for(Slot& s) {
  if (!s.drafter || s.sampler->constraint()) return {};  // drafts are not checked against grammars
  const SpeculativeOptions& so = opts_.speculative;
  const int64_t room = s.cache.n_ctx() - s.cache.size() - 1;  // cache slots left after last_token
  const int64_t left = s.cur.req.max_tokens > 0 ? s.cur.req.max_tokens - s.stats.completion_tokens : INT64_MAX;
  const int64_t max = std::min({so.draft_max, room, left});
  if (max < 1) return {};
  // The drafter sees the context with last_token appended (not yet in the cache); appended and
  // removed in place rather than copying the history every step.
  s.history.push_back(s.last_token);
  std::vector<int32_t> d;
  try {
    d = s.drafter->draft(s.history, max);
  } catch (const std::exception& e) {  // a failing drafter costs speed, never the reply
    log::warn(std::string("drafting failed, decoding plainly: ") + e.what());
  }
  s.history.pop_back();
  if (static_cast<int64_t>(d.size()) > max) d.resize(static_cast<size_t>(max));
  if (static_cast<int64_t>(d.size()) < std::max<int64_t>(1, so.draft_min)) return {};
  return d;
}

int32_t Scheduler::sample_one(Slot& s, const float* row, const int32_t* draft, bool* agreed) {
  try {
    const int32_t t = draft ? s.sampler->verify_draft(row, *draft, agreed) : s.sampler->sample(row);
    s.sampler->accept(t);
    return t;
  } catch (const Error& e) {  // a grammar that no token can continue
    fail_slot(s, e);
    return -1;
  }
}

bool Scheduler::deliver(Slot& s, int32_t t, const float* row, int64_t cached) {
  const int64_t V = model_.model->n_vocab();
  if (model_.tokenizer->is_eog(t)) {
    finish(s, FinishReason::stop);
    return false;
  }
  {
    // Counted now, not at the end of the step: the stream may finish below, and a client that
    // reads /metrics right after its reply must see its tokens.
    std::lock_guard<std::mutex> lk(mu_);
    ++metrics_.generated_tokens_total;
  }
  ++s.stats.completion_tokens;
  s.last_token = t;
  if (s.cur.req.logprobs) s.probs.push_back(token_prob(row, V, t, s.cur.req.top_logprobs));
  s.text += s.decoder->push(t);

  // The earliest stop string in the text ends it there.
  size_t stop_at = std::string::npos;
  const std::string* matched = nullptr;
  for (const auto& st : s.cur.req.stop) {
    const size_t at = s.text.find(st);
    if (at < stop_at) stop_at = at, matched = &st;
  }
  if (matched) {
    s.text.resize(stop_at);
    finish(s, FinishReason::stop, false, *matched);
    return false;
  }
  const size_t keep = held_back(s.text, s.cur.req.stop);
  if (s.text.size() > keep || !s.probs.empty()) {
    GenEvent e;
    e.text = s.text.substr(0, s.text.size() - keep);
    s.text.erase(0, s.text.size() - keep);
    e.probs = std::move(s.probs);
    s.probs.clear();
    s.cur.job->push(std::move(e));
  }
  if (s.cur.req.max_tokens > 0 && s.stats.completion_tokens >= s.cur.req.max_tokens) {
    finish(s, FinishReason::length);
    return false;
  }
  if (cached >= s.cache.n_ctx()) {  // no room to run t
    finish(s, FinishReason::context_full);
    return false;
  }
  return true;
}

void Scheduler::step() {
  const auto& m = *model_.model;
  const int64_t V = m.n_vocab();

  // Cancelled requests leave before any work is spent on them.
  for (auto& s : slots_)
    if (s->busy && s->cur.job->cancelled()) finish(*s, FinishReason::cancelled);

  // Every decoding slot runs its one token; plan_prompt_step picks the prompt tokens.
  ++step_no_;
  std::vector<Slot*> active, prompting;
  for (auto& s : slots_)
    if (s->busy) (s->decoding ? active : prompting).push_back(s.get());
  std::vector<PromptWait> waiting;
  for (const Slot* s : prompting)
    waiting.push_back({static_cast<int64_t>(s->cur.req.prompt.size() - s->prompt_pos), step_no_ - s->admit_step});
  const std::vector<int64_t> plan = plan_prompt_step(waiting, opts_.n_batch, opts_.prompt_target);
  std::vector<size_t> take(active.size(), 0);  // prompt tokens each active slot runs this step
  for (size_t i = 0; i < prompting.size(); ++i)
    if (plan[i] > 0) {
      active.push_back(prompting[i]);
      take.push_back(static_cast<size_t>(plan[i]));
    }
  if (active.empty()) return;

  std::vector<model::Model::SeqBatch> batch;
  std::vector<std::vector<int32_t>> one(active.size());  // a decoding slot's token and its draft
  for (size_t i = 0; i < active.size(); ++i) {
    Slot& s = *active[i];
    model::Model::SeqBatch b;
    b.cache = &s.cache;
    if (s.decoding) {
      one[i] = draft_for(s);
      one[i].insert(one[i].begin(), s.last_token);
      b.tokens = one[i];
      b.all_logits = one[i].size() > 1;  // row k checks draft token k
    } else {
      const auto& pr = s.cur.req.prompt;
      b.tokens = std::span<const int32_t>(pr.data() + s.prompt_pos, take[i]);
      b.all_logits = s.cur.req.echo && s.cur.req.logprobs;
    }
    batch.push_back(b);
  }

  const double t0 = now_ms();
  std::vector<float> logits;
  try {
    m.forward_batch(batch, logits, pool_.get());
  } catch (const Error& e) {
    log::error(std::string("batched step failed: ") + e.what());
    for (Slot* s : active) fail_slot(*s, e);
    return;
  }
  const double t1 = now_ms();

  int64_t generated = 0, prompted = 0, drafted = 0, accepted = 0;
  const float* row = logits.data();
  for (size_t i = 0; i < active.size(); ++i) {
    Slot& s = *active[i];
    const auto& b = batch[i];
    const int64_t n = static_cast<int64_t>(b.tokens.size());
    const int64_t rows = b.all_logits ? n : 1;
    const float* first = row;  // the row the next token is drawn from (a decoding slot's)
    row += rows * V;
    const int64_t base = static_cast<int64_t>(s.history.size());
    s.history.insert(s.history.end(), b.tokens.begin(), b.tokens.end());
    if (!s.decoding) {
      prompted += n;
      if (b.all_logits) {
        // Each prompt token is scored by the row before it (the previous chunk's last row for the first).
        GenEvent e;
        e.echo = true;
        for (int64_t t = 0; t < n; ++t) {
          const size_t g = s.prompt_pos + static_cast<size_t>(t);
          if (g == 0) continue;
          const float* prev = t == 0 ? s.prev_row.data() : first + (t - 1) * V;
          e.probs.push_back(token_prob(prev, V, s.cur.req.prompt[g], s.cur.req.top_logprobs));
        }
        const float* last = first + (rows - 1) * V;
        s.prev_row.assign(last, last + V);
        if (!e.probs.empty()) s.cur.job->push(std::move(e));
      }
      s.prompt_pos += static_cast<size_t>(n);
      if (s.prompt_pos < s.cur.req.prompt.size()) continue;  // more prompt next step
      s.decoding = true;
      s.stats.prompt_ms = now_ms() - s.t_admit;
      if (s.cur.req.max_tokens == 0) {
        finish(s, FinishReason::length);
        continue;
      }
      first += (rows - 1) * V;  // the first output token comes from the prompt's last row
      if (s.t_first == 0) s.t_first = now_ms();
      const int64_t before = s.stats.completion_tokens;
      const int32_t t = sample_one(s, first, nullptr);
      if (t >= 0) deliver(s, t, first, s.cache.size());
      generated += s.stats.completion_tokens - before;
      continue;
    }

    // Decoding: row k draws the token after batch token k. While the draft agrees, each verified
    // token is kept and the next row is read; the first disagreement (or the row after the
    // whole draft) gives the next token, drawn from the target's distribution.
    const size_t n_draft = one[i].size() - 1;
    const int64_t before = s.stats.completion_tokens;
    s.stats.draft_tokens += static_cast<int64_t>(n_draft);  // counted before deliver() may finish
    size_t kept = 0;
    bool failed = false;
    for (size_t k = 0;; ++k) {
      const float* r = first + static_cast<int64_t>(k) * V;
      bool agreed = false;
      const int32_t t = sample_one(s, r, k < n_draft ? &one[i][k + 1] : nullptr, &agreed);
      if (t < 0) {
        failed = true;
        break;
      }
      if (agreed) {
        ++kept;
        ++s.stats.draft_accepted;
      }
      if (!deliver(s, t, r, base + 1 + static_cast<int64_t>(k)) || !agreed) break;
    }
    generated += s.stats.completion_tokens - before;
    drafted += static_cast<int64_t>(n_draft);
    accepted += static_cast<int64_t>(kept);
    if (failed) continue;  // fail_slot has cleared the cache
    if (n_draft > 0) {
      // The cache keeps the token run last step and the draft tokens that were kept.
      const int64_t keep = base + 1 + static_cast<int64_t>(kept);
      s.cache.truncate(keep);
      s.history.resize(static_cast<size_t>(keep));
    }
  }

  std::lock_guard<std::mutex> lk(mu_);
  ++metrics_.steps_total;
  metrics_.draft_tokens_total += drafted;
  metrics_.draft_accepted_total += accepted;
  const double dt = (t1 - t0) / 1000.0;
  if (dt > 0) {
    // Smooth over steps: one step is one token per decoding stream.
    const double a = 0.2;
    if (generated) metrics_.generation_tps = (1 - a) * metrics_.generation_tps + a * (generated / dt);
    if (prompted) metrics_.prompt_tps = (1 - a) * metrics_.prompt_tps + a * (prompted / dt);
  }
}

}  // namespace hearth::engine
