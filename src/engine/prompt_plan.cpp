#include "engine/prompt_plan.h"

#include <algorithm>
#include <numeric>

namespace hearth::engine {

std::vector<int64_t> plan_prompt_step(std::span<const PromptWait> waiting, int64_t n_batch, int64_t target) {
  std::vector<size_t> order(waiting.size());
  std::iota(order.begin(), order.end(), size_t{0});
  const auto rank = [&](size_t i) { return waiting[i].left - static_cast<int64_t>(waiting[i].waited_steps) * target; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rank(a) < rank(b); });
  std::vector<int64_t> take(waiting.size(), 0);
  int64_t budget = n_batch, gathered = 0;
  for (size_t i : order) {
    if (gathered >= target || budget <= 0) break;
    take[i] = std::min(waiting[i].left, budget);
    budget -= take[i];
    gathered += take[i];
  }
  return take;
}

}  // namespace hearth::engine
