#include "model/moe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "model/ffn.h"
#include "model/linear.h"

namespace hearth::model {

void moe_ffn(const tensor::Kernels& k, const LayerWeights& L, const HParams& hp, const float* x, int64_t n, float* y,
             ThreadPool* pool) {
  const int64_t E = hp.n_embd, NE = hp.n_expert, K = hp.n_expert_used, F = hp.n_ff_exp;
  std::vector<float> logits(static_cast<size_t>(n * NE));
  matmul(k, L.gate_inp, x, n, logits.data(), pool);

  // Routing: per expert, the tokens it serves and their weights.
  std::vector<std::vector<std::pair<int64_t, float>>> routed(static_cast<size_t>(NE));
  std::vector<int64_t> order(static_cast<size_t>(NE));
  std::vector<float> p(static_cast<size_t>(NE));
  for (int64_t t = 0; t < n; ++t) {
    const float* l = &logits[t * NE];
    const float mx = *std::max_element(l, l + NE);
    double sum = 0;
    for (int64_t e = 0; e < NE; ++e) sum += p[e] = std::exp(l[e] - mx);
    for (int64_t e = 0; e < NE; ++e) p[e] = static_cast<float>(p[e] / sum);
    for (int64_t e = 0; e < NE; ++e) order[e] = e;
    std::partial_sort(order.begin(), order.begin() + K, order.end(),
                      [&](int64_t a, int64_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    float chosen = 0;
    for (int64_t j = 0; j < K; ++j) chosen += p[order[j]];
    for (int64_t j = 0; j < K; ++j) routed[order[j]].emplace_back(t, p[order[j]] / chosen);
  }

  std::fill(y, y + n * E, 0.0f);
  std::vector<float> xin, gate, up, out;
  for (int64_t e = 0; e < NE; ++e) {
    const auto& toks = routed[e];
    if (toks.empty()) continue;
    const auto m = static_cast<int64_t>(toks.size());
    xin.resize(static_cast<size_t>(m * E));
    for (int64_t i = 0; i < m; ++i) std::memcpy(&xin[i * E], x + toks[i].first * E, E * sizeof(float));
    gate.resize(static_cast<size_t>(m * F));
    up.resize(static_cast<size_t>(m * F));
    out.resize(static_cast<size_t>(m * E));
    const Weight g = L.gate_exps.expert(e), u = L.up_exps.expert(e), d = L.down_exps.expert(e);
    matmul_shared(k, {{&g, gate.data()}, {&u, up.data()}}, xin.data(), m, pool);
    swiglu(k, gate.data(), up.data(), m * F);
    matmul(k, d, gate.data(), m, out.data(), pool);
    for (int64_t i = 0; i < m; ++i) {
      float* yt = y + toks[i].first * E;
      const float w = toks[i].second;
      for (int64_t j = 0; j < E; ++j) yt[j] += w * out[i * E + j];
    }
  }
}

}  // namespace hearth::model
