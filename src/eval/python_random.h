// Python's random.Random (MT19937 seeded with init_by_array), for the draws lm-evaluation-harness
// makes with it: its default few-shot sampler is random.Random(1234).sample(fewshot_docs, n),
// called once per document in order, so choosing the same examples means the same generator.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hearth::eval {

class PythonRandom {
 public:
  explicit PythonRandom(uint64_t seed);  // random.Random(seed) for an integer seed >= 0

  uint32_t next_u32();            // one tempered MT19937 output (genrand_uint32)
  uint64_t getrandbits(int k);    // random.getrandbits(k), 1 <= k <= 64
  uint64_t randbelow(uint64_t n);  // random._randbelow(n), n >= 1: uniform in [0, n)
  // random.sample(range(n), k): k distinct indices in Python's order; k <= n.
  std::vector<size_t> sample(size_t n, size_t k);

 private:
  static constexpr int kN = 624;
  std::array<uint32_t, kN> mt_{};
  int index_ = kN;
};

}  // namespace hearth::eval
