// The fused attention (chunks of keys and values, online softmax) against a plain two-pass
// softmax in double precision: causal ranges, sliding windows that start inside a chunk,
// soft-capping, sinks, grouped KV heads, several chunks of context, every ISA path; and the
// order-independence serving relies on (a batch gives each token the bits it gets alone).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "model/attention.h"
#include "model/kv_cache.h"
#include "support/isa_paths.h"
#include "tensor/dispatch.h"

namespace hearth::model {
namespace {

HParams shape() {
  HParams hp;
  hp.n_layer = 1;
  hp.n_head = 6;
  hp.n_head_kv = 2;
  hp.head_dim_k = 32;
  hp.head_dim_v = 24;
  return hp;
}

struct Case {
  int64_t n_ctx, pos0, n_tokens;
  AttnLayer opt;
};

// out[t][h] = sum_j softmax(scores)_j v_j over the positions token t sees, in double.
std::vector<double> reference(const HParams& hp, const std::vector<float>& q, const std::vector<float>& k,
                              const std::vector<float>& v, const Case& c) {
  const int64_t group = hp.n_head / hp.n_head_kv, dk = hp.head_dim_k, dv = hp.head_dim_v;
  std::vector<double> out(static_cast<size_t>(c.n_tokens * hp.n_head * dv), 0.0);
  for (int64_t t = 0; t < c.n_tokens; ++t) {
    const int64_t pos = c.pos0 + t;
    const int64_t first = c.opt.window > 0 ? std::max<int64_t>(0, pos - c.opt.window + 1) : 0;
    for (int64_t h = 0; h < hp.n_head; ++h) {
      const int64_t g = h / group;
      std::vector<double> s;
      for (int64_t j = first; j <= pos; ++j) {
        double d = 0;
        for (int64_t e = 0; e < dk; ++e) d += double(q[(t * hp.n_head + h) * dk + e]) * k[(j * hp.n_head_kv + g) * dk + e];
        d /= std::sqrt(double(dk));
        if (c.opt.softcap > 0) d = c.opt.softcap * std::tanh(d / c.opt.softcap);
        s.push_back(d);
      }
      double mx = *std::max_element(s.begin(), s.end());
      if (c.opt.sinks) mx = std::max(mx, double(c.opt.sinks[h]));
      double sum = 0;
      for (double& x : s) sum += (x = std::exp(x - mx));
      if (c.opt.sinks) sum += std::exp(c.opt.sinks[h] - mx);
      for (size_t j = 0; j < s.size(); ++j)
        for (int64_t e = 0; e < dv; ++e)
          out[(t * hp.n_head + h) * dv + e] += s[j] / sum * v[((first + int64_t(j)) * hp.n_head_kv + g) * dv + e];
    }
  }
  return out;
}

TEST(Attention, FusedMatchesATwoPassSoftmaxOnEveryPath) {
  const HParams hp = shape();
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const std::vector<float> sinks = {0.5f, -1.0f, 3.0f, 0.0f, 9.0f, -4.0f};  // 9.0 beats every score
  const std::vector<Case> cases = {
      {700, 0, 700, {}},                          // a whole prompt over three chunks
      {700, 699, 1, {}},                          // one token at depth
      {900, 600, 37, {.window = 300}},            // windows starting inside a chunk
      {900, 520, 9, {.window = 3}},               // tiny windows
      {600, 550, 50, {.softcap = 2.0f}},          // soft-capped scores (Gemma 2)
      {600, 580, 20, {.window = 128, .sinks = sinks.data()}},  // gpt-oss
  };
  ThreadPool pool(2);
  for (const Case& c : cases) {
    const int64_t n_pos = c.pos0 + c.n_tokens;
    std::vector<float> q(c.n_tokens * hp.q_dim()), k(n_pos * hp.k_dim()), v(n_pos * hp.v_dim());
    for (auto& x : q) x = 2.0f * nd(rng);  // sharp softmaxes: the running maximum moves
    for (auto& x : k) x = nd(rng);
    for (auto& x : v) x = nd(rng);
    KvCache cache(hp, c.n_ctx);
    for (int64_t p = 0; p < n_pos; ++p) cache.store(0, p, k.data() + p * hp.k_dim(), v.data() + p * hp.v_dim());
    cache.advance(n_pos);
    const std::vector<double> ref = reference(hp, q, k, v, c);
    for (tensor::Isa isa : test::isa_paths()) {
      std::vector<float> out(ref.size(), NAN);
      attention(tensor::kernels_for(isa), q.data(), c.n_tokens, c.pos0, 0, cache, hp, out.data(), &pool, c.opt);
      double worst = 0;
      for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(out[i] - ref[i]));
      EXPECT_LT(worst, 2e-5) << tensor::isa_name(isa) << " pos0 " << c.pos0 << " tokens " << c.n_tokens << " window "
                             << c.opt.window;
    }
  }
}

TEST(Attention, EachTokenGetsTheBitsItGetsAlone) {
  HParams hp = shape();
  hp.head_dim_v = 64;  // a quantized cache splits heads into 32-element blocks
  std::mt19937 rng(8);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const std::vector<float> sinks = {0.5f, -1.0f, 3.0f, 0.0f, 2.0f, -4.0f};
  const int64_t pos0 = 517, n_tokens = 23, n_pos = pos0 + n_tokens;
  std::vector<float> q(n_tokens * hp.q_dim()), k(n_pos * hp.k_dim()), v(n_pos * hp.v_dim());
  for (auto& x : q) x = 2.0f * nd(rng);
  for (auto& x : k) x = nd(rng);
  for (auto& x : v) x = nd(rng);
  // Two threads take 16-token blocks; eight split these 23 tokens into blocks of 2 so that every
  // thread has tasks: neither may change a bit.
  ThreadPool pool2(2), pool8(8);
  for (ThreadPool* pool : {&pool2, &pool8}) {
    for (tensor::Type t : {tensor::Type::F32, tensor::Type::F16, tensor::Type::Q8_0}) {
      for (const AttnLayer& opt : {AttnLayer{}, AttnLayer{.window = 300, .softcap = 5.0f, .sinks = sinks.data()}}) {
        KvCache cache(hp, n_pos, {t, t});
        for (int64_t p = 0; p < n_pos; ++p) cache.store(0, p, k.data() + p * hp.k_dim(), v.data() + p * hp.v_dim());
        cache.advance(n_pos);
        // One token reads an F32 cache in place and a batch a copy of it: same bits on every path.
        for (tensor::Isa isa : test::isa_paths()) {
          const tensor::Kernels& kern = tensor::kernels_for(isa);
          std::vector<float> batch(n_tokens * hp.n_head * hp.head_dim_v);
          attention(kern, q.data(), n_tokens, pos0, 0, cache, hp, batch.data(), pool, opt);
          for (int64_t i = 0; i < n_tokens; ++i) {
            std::vector<float> one(hp.n_head * hp.head_dim_v);
            attention(kern, q.data() + i * hp.q_dim(), 1, pos0 + i, 0, cache, hp, one.data(), nullptr, opt);
            for (size_t e = 0; e < one.size(); ++e)
              ASSERT_EQ(one[e], batch[i * one.size() + e]) << tensor::type_name(t) << " token " << i << " window "
                                                           << opt.window << " threads " << pool->size() << " "
                                                           << tensor::isa_name(isa);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace hearth::model
