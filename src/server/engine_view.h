// What the HTTP layer needs of the in-process engine besides the router's `local` provider:
// whether its model is ready (/health), its tokenizer (/tokenize, /detokenize) and its counters
// (/metrics). app::LocalEngine implements it, so server/ never depends on the engine itself.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hearth::server {

enum class EngineState { loading, ready, failed };

struct EngineCounters {
  int64_t requests_total = 0, rejected_total = 0, cancelled_total = 0;
  int64_t prompt_tokens_total = 0, cached_tokens_total = 0, generated_tokens_total = 0;
  int64_t steps_total = 0;
  int64_t draft_tokens_total = 0, draft_accepted_total = 0;  // speculative decoding
  int queue_depth = 0, slots_busy = 0, slots_total = 0;
  double generation_tps = 0;  // generated tokens/s over the last busy stretch
  double prompt_tps = 0;
};

class EngineView {
 public:
  virtual ~EngineView() = default;
  virtual std::string model_name() const = 0;
  virtual EngineState state() const = 0;
  virtual std::string load_error() const = 0;  // when state() is failed
  virtual EngineCounters counters() const = 0;
  struct ModelLoad {
    std::string name;
    bool loaded = false;
    uint64_t bytes = 0;
  };
  virtual std::vector<ModelLoad> model_loads() const = 0;  // every model the server can run
  // The rest is only called once state() is ready.
  virtual std::vector<int32_t> tokenize(const std::string& text, bool add_special, bool parse_special) const = 0;
  virtual std::string token_piece(int32_t id, bool render_special) const = 0;
  virtual int64_t n_vocab() const = 0;
};

}  // namespace hearth::server
