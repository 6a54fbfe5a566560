// The serving scheduler: one inference thread owns the model and advances every active request
// together (continuous batching). Each step gathers, for every busy slot, either a chunk of its
// prompt or its last sampled token, runs them through one Model::forward_batch, then samples for
// each slot. A request joins at the next step and leaves as soon as it finishes or is cancelled.
// Slots keep the tokens their KV cache holds, so a request whose prompt starts with a slot's
// history (the next turn of a chat) only runs the new tokens.
// HTTP handlers never touch the model: they submit() a typed request and read its events.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "engine/loader.h"
#include "engine/speculative.h"
#include "model/kv_snapshot.h"
#include "sampling/grammar.h"
#include "sampling/sampler.h"

namespace hearth::engine {

struct GenRequest {
  std::vector<int32_t> prompt;
  int64_t max_tokens = -1;  // < 0: until end of generation or the slot's context is full
  sampling::Params sampling;
  std::vector<std::string> stop;  // stop strings; the matched text is not returned
  bool logprobs = false;          // log-probability of each output token
  int top_logprobs = 0;           // and this many alternatives (0-20)
  bool echo = false;              // send the prompt back first (with logprobs when requested)
  bool use_cache = true;          // reuse a slot's matching prefix
  bool embedding = false;         // no generation: the mean of the final hidden states, L2-normed
  std::shared_ptr<const sampling::Grammar> grammar;  // output must be a sentence of this grammar
  // Lazy grammar: free output until one of these strings appears, the grammar from there on.
  std::vector<std::string> grammar_triggers;
  // Control tokens that are text in this reply (tool-call markers such as Mistral's [TOOL_CALLS]):
  // decoded as their text and matched by the grammar as such.
  std::vector<int32_t> text_tokens;
};

enum class FinishReason { stop, length, context_full, cancelled };
const char* finish_reason_name(FinishReason r);

struct TokenProb {
  int32_t id = 0;
  float logprob = 0;
  bool has_logprob = true;  // false for the first echoed token: nothing predicts it
  std::vector<std::pair<int32_t, float>> top;  // most likely alternatives, best first
};

struct GenStats {
  int64_t prompt_tokens = 0;
  int64_t cached_tokens = 0;  // of prompt_tokens, reused from a slot's cache
  int64_t completion_tokens = 0;
  double queue_ms = 0, prompt_ms = 0, gen_ms = 0;  // prompt_ms ends at the first sampled token
  int64_t draft_tokens = 0, draft_accepted = 0;    // speculative decoding
};

struct GenEvent {
  enum class Kind { text, done, error } kind = Kind::text;
  std::string text;              // text: a complete UTF-8 delta (may be empty when held back)
  bool echo = false;             // text: this delta is the echoed prompt
  std::vector<TokenProb> probs;  // text: the tokens behind the delta, when logprobs were asked
  FinishReason finish = FinishReason::stop;  // done
  std::string stop_sequence;                 // done: the stop string that ended it, if one did
  GenStats stats;                            // done
  std::vector<float> embedding;              // done, for embedding requests
  Errc error_code = Errc::internal;          // error
  std::string error;                         // error
};

// A submitted request as its HTTP handler sees it.
class Job {
 public:
  // Blocks until the next event. Returns false once the final event (done or error) has been
  // returned by an earlier call.
  bool next(GenEvent& e);
  // Stops the request at the next step and frees its slot; safe from any thread.
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  friend class Scheduler;
  void push(GenEvent e);
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<GenEvent> events_;
  bool closed_ = false;    // the final event has been pushed
  bool consumed_ = false;  // ... and returned
  std::atomic<bool> cancelled_{false};
};

struct SchedulerOptions {
  int parallel = 4;        // slots
  int64_t n_ctx = 0;       // total KV budget in tokens, split evenly across slots; <= 0: parallel x default
  int n_threads = 0;       // compute threads; <= 0: one per hardware thread
  int queue_limit = 64;    // waiting requests beyond the busy slots; more are refused
  int64_t n_batch = 512;   // most prompt tokens one step runs (keeps other streams moving)
  // Prompt tokens a step gathers before it stops adding prompts: enough rows to keep the matrix
  // kernels efficient, few enough that short prompts finish one after another (see step()).
  int64_t prompt_target = 32;
  model::KvTypes kv_types;  // --cache-type-k / --cache-type-v
  // Speculative decoding, per slot (speculative.h): prompt lookup (lookup_ngram > 0) or a draft
  // model with the target's vocabulary, loaded once with draft_load and given a session (its own
  // cache, the scheduler's threads) in every slot. Requests with a grammar decode plainly.
  int64_t lookup_ngram = 0;
  std::string draft_model;
  model::LoadOptions draft_load;
  SpeculativeOptions speculative;
  // A precomputed prefix (a pack's system prompt) put into every slot at start, so a prompt that
  // begins with it skips prefilling those tokens. Skipped, with a warning, when it does not fit
  // the slots' cache shape, types or context.
  std::shared_ptr<const model::KvSnapshot> prefix;
};

struct SchedulerMetrics {
  int64_t requests_total = 0, rejected_total = 0, cancelled_total = 0;
  int64_t prompt_tokens_total = 0, cached_tokens_total = 0, generated_tokens_total = 0;
  int64_t steps_total = 0;
  int64_t draft_tokens_total = 0, draft_accepted_total = 0;  // speculative decoding
  int queue_depth = 0, slots_busy = 0, slots_total = 0;
  double generation_tps = 0;  // generated tokens/s over the last busy stretch (moving average)
  double prompt_tps = 0;
};

class Scheduler {
 public:
  // Throws Error(invalid_argument) for unusable options (a per-slot context above the model's
  // trained context, fewer than one slot).
  Scheduler(LoadedModel model, SchedulerOptions opts);
  ~Scheduler();  // waiting and running requests end with an error event
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request. Throws Error(overloaded) when the queue is full, Error(out_of_range) when
  // the prompt does not fit in a slot's context (the message gives both numbers), and
  // Error(invalid_argument) for bad sampling settings or token ids.
  std::shared_ptr<Job> submit(GenRequest req);

  const model::Model& model() const { return *model_.model; }
  const tokenizer::Tokenizer& tokenizer() const { return *model_.tokenizer; }
  const LoadedModel& loaded() const { return model_; }
  int64_t slot_ctx() const { return slot_ctx_; }
  int parallel() const { return static_cast<int>(slots_.size()); }
  SchedulerMetrics metrics() const;

 private:
  struct Slot;
  struct Pending {
    GenRequest req;
    std::shared_ptr<Job> job;
    double submitted_ms = 0;
  };
  void make_drafters();  // one per slot when opts_ ask for speculative decoding
  void seed_prefix();    // opts_.prefix into every slot
  // The slot's draft for its next step (empty: a plain step).
  std::vector<int32_t> draft_for(Slot& s);
  void loop();
  bool admit(std::vector<Pending>& incoming);
  void step();
  void run_embedding(Pending& p);
  void finish(Slot& s, FinishReason why, bool flush = true, const std::string& stop_sequence = {});
  void fail_slot(Slot& s, const Error& e);
  // Hands a sampled token to the slot's client (end of generation, stop strings, limits). False
  // when the request ended with it.
  // `row` is the logits t was drawn from; `cached` the tokens the slot's cache holds before t.
  bool deliver(Slot& s, int32_t t, const float* row, int64_t cached);
  // Draws the slot's next token from `row` (checking `draft` when given: `agreed` says whether
  // it was kept) and records it with the sampler; -1 after failing the slot.
  int32_t sample_one(Slot& s, const float* row, const int32_t* draft, bool* agreed = nullptr);
  Slot* pick_slot(const std::vector<int32_t>& prompt, bool use_cache, int64_t* reuse);

  LoadedModel model_;
  SchedulerOptions opts_;
  int64_t slot_ctx_ = 0;
  std::unique_ptr<ThreadPool> pool_;
  uint64_t step_no_ = 0;  // steps run (inference thread only)
  std::vector<std::unique_ptr<Slot>> slots_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stop_ = false;
  SchedulerMetrics metrics_;
  std::thread thread_;
};

}  // namespace hearth::engine
