#include "engine/embed.h"

#include <cmath>

#include "core/error.h"
#include "model/kv_cache.h"

namespace hearth::engine {

std::vector<float> embed_tokens(const model::Model& m, std::span<const int32_t> tokens, ThreadPool* pool) {
  const auto n = static_cast<int64_t>(tokens.size());
  const int64_t E = m.hparams().n_embd;
  if (n == 0) fail(Errc::invalid_argument, "nothing to embed: the input has no tokens");
  model::KvCache cache(m.hparams(), n);
  std::vector<float> hidden;
  const model::Model::SeqBatch b{&cache, tokens, true};
  m.forward_batch(std::span<const model::Model::SeqBatch>(&b, 1), hidden, pool, true);
  std::vector<double> sum(static_cast<size_t>(E), 0.0);
  const int64_t pooling = m.hparams().pooling;
  const int64_t first = pooling == 3 ? n - 1 : 0, last = pooling == 2 ? 1 : n;
  for (int64_t t = first; t < last; ++t)
    for (int64_t i = 0; i < E; ++i) sum[i] += hidden[t * E + i];
  double norm = 0;
  for (double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  std::vector<float> out(static_cast<size_t>(E));
  for (int64_t i = 0; i < E; ++i) out[i] = static_cast<float>(norm > 0 ? sum[i] / norm : 0.0);
  return out;
}

}  // namespace hearth::engine
