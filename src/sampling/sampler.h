// Token samplers: logit bias, repetition/frequency/presence penalties, top-k, typical, top-p,
// min-p, temperature, then a seeded draw. The order follows llama.cpp's default chain so the same
// settings behave the same way. Temperature <= 0 means greedy (argmax, ties to the lower id).
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hearth::sampling {

class GrammarConstraint;

struct Params {
  float temperature = 0.8f;
  int32_t top_k = 40;          // <= 0: off
  float top_p = 0.95f;         // >= 1: off
  float min_p = 0.05f;         // <= 0: off
  float typical_p = 1.0f;      // >= 1: off
  float repeat_penalty = 1.0f; // 1: off
  int32_t repeat_last_n = 64;  // window for all three penalties; 0: off, -1: whole history
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  std::vector<std::pair<int32_t, float>> logit_bias;  // added to the logit; -inf bans a token
  uint64_t seed = 0xFFFFFFFFu;  // 0xFFFFFFFF: pick a random seed
};

// Throws Error(invalid_argument) naming the offending field.
void validate(const Params& p);

struct Candidate {
  int32_t id;
  float logit;
  float p;  // filled once probabilities are computed
};

class Sampler {
 public:
  Sampler(Params params, int32_t n_vocab);
  ~Sampler();

  // Restricts output to a grammar from now on (nullptr: unconstrained again).
  void set_constraint(std::unique_ptr<GrammarConstraint> c);
  const GrammarConstraint* constraint() const { return constraint_.get(); }
  // Steps where the grammar refused the first pick and the whole vocabulary was masked.
  int64_t masked_steps() const { return masked_steps_; }

  // Picks the next token from raw logits (n_vocab floats). Does not record it: call accept().
  // With a constraint the pick is first checked alone; only when the grammar refuses it is the
  // whole vocabulary masked and the pick made again (llama.cpp's order, and far cheaper).
  // Throws Error(invalid_argument) when the grammar allows no token at all.
  int32_t sample(const float* logits);
  // Speculative decoding's check of a drafted token against the target's logits, keeping the
  // target distribution exactly (the draft is deterministic, so its distribution is one-hot):
  // greedy accepts the draft when it is the argmax; sampling accepts it with the probability the
  // sampling chain gives it, else draws from that distribution without it. Returns the token to
  // emit (the draft when *accepted). Not with a grammar constraint (Error(invalid_argument)).
  int32_t verify_draft(const float* logits, int32_t draft, bool* accepted);
  // Records a generated token: penalties, and the grammar advances past it.
  void accept(int32_t token);
  // Records a prompt token (penalties only; the grammar constrains output, not the prompt).
  void accept_prompt(int32_t token);
  void reset();  // forgets history; the RNG continues

  const Params& params() const { return params_; }
  uint64_t seed() const { return seed_; }

 private:
  void apply_penalties(std::vector<Candidate>& c) const;
  int32_t draw(std::vector<Candidate>& c);  // the sampling chain after penalties
  Params params_;
  int32_t n_vocab_;
  uint64_t seed_;
  std::mt19937_64 rng_;  // the engine's output sequence is fixed by the standard
  std::deque<int32_t> history_;
  std::vector<Candidate> scratch_, unfiltered_;
  std::unique_ptr<GrammarConstraint> constraint_;
  int64_t masked_steps_ = 0;
};

// Helpers usable on their own (each keeps the candidates sorted by logit, descending, once
// called, and leaves at least min_keep).
void sort_desc(std::vector<Candidate>& c);
void softmax(std::vector<Candidate>& c);  // fills p from logit; expects sorted
void top_k(std::vector<Candidate>& c, int32_t k);
void top_p(std::vector<Candidate>& c, float p, size_t min_keep = 1);
void min_p(std::vector<Candidate>& c, float p, size_t min_keep = 1);
void typical(std::vector<Candidate>& c, float p, size_t min_keep = 1);
int32_t argmax(const float* logits, int32_t n);

}  // namespace hearth::sampling
