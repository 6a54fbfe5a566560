// Which waiting prompts a scheduler step runs, and how many of their tokens.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace hearth::engine {

struct PromptWait {
  int64_t left = 0;           // prompt tokens still to run
  uint64_t waited_steps = 0;  // steps since the request was admitted
};

// Prompts go shortest-remaining first, whole (chunked at n_batch), until the step holds `target`
// tokens. Running all prompts together would make every stream wait for the last one; finishing
// them one after another is the same total work but brings most streams their first token much
// sooner. A prompt's rank improves by `target` tokens per step it waits, so a long prompt is
// never starved by a run of short ones. Returns the tokens each prompt runs (0: not this step),
// in the order given.
std::vector<int64_t> plan_prompt_step(std::span<const PromptWait> waiting, int64_t n_batch, int64_t target);

}  // namespace hearth::engine
