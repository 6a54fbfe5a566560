// Speculative decoding: a cheap drafter proposes the next few tokens, the target model checks them
// all in one batch (one pass over its weights instead of one per token), and every proposal it
// agrees with is kept. Generation is bandwidth-bound on a CPU, so a batch of a few tokens costs
// little more than one.
//
// Two drafters: a smaller model with the same vocabulary (--draft-model), run greedily; and
// prompt lookup (--lookup-ngram N), which needs no model: when the last N tokens appeared earlier
// in the context, the tokens that followed them are the proposal (summaries, code edits and
// quotes repeat their input). Drafts are deterministic, so Sampler::verify_draft keeps the target
// distribution exactly; with greedy sampling the output is the one plain decoding gives.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/generate.h"
#include "engine/session.h"
#include "sampling/sampler.h"

namespace hearth::engine {

class Drafter {
 public:
  virtual ~Drafter() = default;
  // Up to `max` tokens likely to follow `history`.
  virtual std::vector<int32_t> draft(std::span<const int32_t> history, int64_t max) = 0;
};

// Prompt lookup: the latest earlier occurrence of the history's last n tokens (n from `ngram`
// down to 1) and what followed it.
class LookupDrafter : public Drafter {
 public:
  explicit LookupDrafter(int64_t ngram);
  std::vector<int32_t> draft(std::span<const int32_t> history, int64_t max) override;

 private:
  int64_t ngram_;
};

// A draft model run greedily in its own session (which reuses its cache across calls). It stops
// drafting at the first token it gives less than `p_min` probability (llama.cpp's --draft-p-min):
// a guess the draft itself doubts is rarely accepted, and a rejected draft costs a batch.
// Throws Error(invalid_argument) when its vocabulary differs from the target's.
class ModelDrafter : public Drafter {
 public:
  ModelDrafter(std::shared_ptr<const model::Model> draft, std::shared_ptr<const tokenizer::Tokenizer> tok,
               const model::Model& target, SessionOptions opts, float p_min = 0.75f);
  std::vector<int32_t> draft(std::span<const int32_t> history, int64_t max) override;

 private:
  Session session_;
  float p_min_;
};

struct SpeculativeOptions {
  int64_t draft_max = 16;  // most tokens drafted per step
  int64_t draft_min = 0;   // a shorter draft is not worth a batch: decode plainly instead
  float draft_p_min = 0.75f;  // ModelDrafter's confidence cutoff
};
// Error(invalid_argument) naming the flag for --draft-max < 1 or --draft-min < 0.
void validate_speculative(const SpeculativeOptions& o);
// Error(invalid_argument) when both --draft-model and --lookup-ngram are given.
void require_one_drafter(const std::string& draft_model, int64_t lookup_ngram);

// The drafter --draft-model or --lookup-ngram asks for (nullptr when neither is given), the draft
// model loaded with `load` and run in a session like `session`. Throws Error(invalid_argument) when
// both are given, and the loader's and ModelDrafter's errors.
std::unique_ptr<Drafter> make_drafter(const std::string& draft_model, int64_t lookup_ngram, const model::Model& target,
                                      const SessionOptions& session, const model::LoadOptions& load,
                                      float draft_p_min);

struct SpeculativeStats {
  int64_t drafted = 0, accepted = 0, batches = 0;
};

// generate() with a drafter (nullptr: plain decoding, exactly generate()): same contract and stop
// reasons; `stats` (optional) counts drafted and accepted tokens. Throws Error(invalid_argument)
// for a drafter together with a grammar constraint on the sampler. Defined in generate.cpp.
GenerateResult generate_speculative(Session& s, sampling::Sampler& sampler, std::span<const int32_t> prompt,
                                    int64_t n_predict, const TokenCallback& on_token, Drafter* drafter,
                                    const SpeculativeOptions& opts, SpeculativeStats* stats = nullptr,
                                    const std::atomic<bool>* cancel = nullptr);

}  // namespace hearth::engine
