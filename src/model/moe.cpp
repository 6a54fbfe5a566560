#include "model/moe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "model/ffn.h"
#include "model/linear.h"

namespace hearth::model {

namespace {

void add_row_bias(float* y, const Weight& b, int64_t e, int64_t m, int64_t dim) {
  if (!b) return;
  const float* be = b.f32() + e * dim;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < dim; ++j) y[i * dim + j] += be[j];
}

// gpt-oss's clamped SwiGLU, in place on gate.
void swiglu_oai(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = std::min(gate[i], 7.0f);
    const float u = std::clamp(up[i], -7.0f, 7.0f);
    gate[i] = (u + 1.0f) * g / (1.0f + std::exp(-1.702f * g));
  }
}

}  // namespace

MoeRouting moe_route(const tensor::Kernels& k, const LayerWeights& L, const HParams& hp, const ArchDef& arch,
                     const float* x, int64_t n, ThreadPool* pool) {
  const int64_t NE = hp.n_expert, K = hp.n_expert_used;
  std::vector<float> logits(static_cast<size_t>(n * NE));
  matmul(k, L.gate_inp, x, n, logits.data(), pool);
  if (L.gate_inp_b)
    for (int64_t t = 0; t < n; ++t)
      for (int64_t e = 0; e < NE; ++e) logits[t * NE + e] += L.gate_inp_b.f32()[e];

  MoeRouting r;
  auto& routed = r.by_expert;
  routed.resize(static_cast<size_t>(NE));
  std::vector<int64_t> order(static_cast<size_t>(NE));
  std::vector<float> p(static_cast<size_t>(NE));
  for (int64_t t = 0; t < n; ++t) {
    const float* l = &logits[t * NE];
    for (int64_t e = 0; e < NE; ++e) order[e] = e;
    // Softmax is monotonic, so the top experts by probability are the top ones by logit.
    std::partial_sort(order.begin(), order.begin() + K, order.end(),
                      [&](int64_t a, int64_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); });
    if (arch.moe_gating == MoeGating::softmax_chosen) {
      const float mx = l[order[0]];
      double sum = 0;
      for (int64_t j = 0; j < K; ++j) sum += p[j] = std::exp(l[order[j]] - mx);
      for (int64_t j = 0; j < K; ++j) routed[order[j]].emplace_back(t, static_cast<float>(p[j] / sum));
      continue;
    }
    const float mx = l[order[0]];
    double sum = 0;
    for (int64_t e = 0; e < NE; ++e) sum += p[e] = std::exp(l[e] - mx);
    for (int64_t e = 0; e < NE; ++e) p[e] = static_cast<float>(p[e] / sum);
    float chosen = 0;
    for (int64_t j = 0; j < K; ++j) chosen += p[order[j]];
    for (int64_t j = 0; j < K; ++j) routed[order[j]].emplace_back(t, p[order[j]] / chosen);
  }
  return r;
}

void moe_ffn(const tensor::Kernels& k, const LayerWeights& L, const HParams& hp, const ArchDef& arch, const float* x,
             int64_t n, float* y, ThreadPool* pool) {
  const int64_t E = hp.n_embd, NE = hp.n_expert, F = hp.n_ff_exp;
  const MoeRouting r = moe_route(k, L, hp, arch, x, n, pool);
  const auto& routed = r.by_expert;
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
    add_row_bias(gate.data(), L.gate_exps_b, e, m, F);
    add_row_bias(up.data(), L.up_exps_b, e, m, F);
    if (arch.ffn_act == FfnActivation::swiglu_oai) swiglu_oai(gate.data(), up.data(), m * F);
    else swiglu(k, gate.data(), up.data(), m * F);
    matmul(k, d, gate.data(), m, out.data(), pool);
    add_row_bias(out.data(), L.down_exps_b, e, m, E);
    for (int64_t i = 0; i < m; ++i) {
      float* yt = y + toks[i].first * E;
      const float w = toks[i].second;
      for (int64_t j = 0; j < E; ++j) yt[j] += w * out[i * E + j];
    }
  }
}

}  // namespace hearth::model
