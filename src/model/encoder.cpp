#include "model/encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "model/ffn.h"
#include "model/linear.h"
#include "model/rope.h"
#include "tensor/ops.h"
#include "tensor/vec.h"

namespace hearth::model {
namespace {

// y = (x - mean) / sqrt(var + eps) * w + b, the sums in double as ggml_norm keeps them. y may alias x.
void layer_norm(const float* x, const Weight& w, const Weight& b, float* y, int64_t n, float eps) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  double sum2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float d = x[i] - mean;
    sum2 += static_cast<double>(d) * d;
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum2 / static_cast<double>(n)) + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * scale * w.f32()[i] + b.f32()[i];
}

void add_bias(float* y, const Weight& b, int64_t n, int64_t dim) {
  if (!b) return;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < dim; ++i) y[t * dim + i] += b.f32()[i];
}

}  // namespace

EncoderWeights bind_encoder(const gguf::File& f, const ArchDef& arch, HParams& hp) {
  EncoderWeights w;
  const int64_t E = hp.n_embd, F = hp.n_ff;
  w.token_embd = bind_matrix(f, "token_embd.weight", E, 0);
  hp.n_vocab = w.token_embd.rows;
  w.token_types = bind_optional_matrix(f, "token_types.weight", E, 0);
  if (arch.learned_positions) w.position_embd = bind_matrix(f, "position_embd.weight", E, 0);
  w.embd_norm_w = bind_vector(f, "token_embd_norm.weight", E);
  w.embd_norm_b = bind_vector(f, "token_embd_norm.bias", E);
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    EncoderLayer l;
    if (arch.fused_qkv) {
      l.wqkv = bind_matrix(f, p + "attn_qkv.weight", E, hp.q_dim() + hp.k_dim() + hp.v_dim());
    } else {
      l.wq = bind_matrix(f, p + "attn_q.weight", E, hp.q_dim());
      l.wk = bind_matrix(f, p + "attn_k.weight", E, hp.k_dim());
      l.wv = bind_matrix(f, p + "attn_v.weight", E, hp.v_dim());
      l.bq = bind_optional_vector(f, p + "attn_q.bias", hp.q_dim());
      l.bk = bind_optional_vector(f, p + "attn_k.bias", hp.k_dim());
      l.bv = bind_optional_vector(f, p + "attn_v.bias", hp.v_dim());
    }
    l.wo = bind_matrix(f, p + "attn_output.weight", hp.n_head * hp.head_dim_v, E);
    l.bo = bind_optional_vector(f, p + "attn_output.bias", E);
    l.attn_norm_w = bind_vector(f, p + "attn_output_norm.weight", E);
    l.attn_norm_b = bind_vector(f, p + "attn_output_norm.bias", E);
    l.up = bind_matrix(f, p + "ffn_up.weight", E, F);
    l.up_b = bind_optional_vector(f, p + "ffn_up.bias", F);
    if (arch.ffn_act == FfnActivation::silu) l.gate = bind_matrix(f, p + "ffn_gate.weight", E, F);
    l.down = bind_matrix(f, p + "ffn_down.weight", F, E);
    l.down_b = bind_optional_vector(f, p + "ffn_down.bias", E);
    l.out_norm_w = bind_vector(f, p + "layer_output_norm.weight", E);
    l.out_norm_b = bind_vector(f, p + "layer_output_norm.bias", E);
    w.layers.push_back(std::move(l));
  }
  return w;
}

void encode(const tensor::Kernels& k, const EncoderWeights& w, const HParams& hp, const ArchDef& arch,
            std::span<const int32_t> tokens, std::vector<float>& out, ThreadPool* pool) {
  const int64_t n = static_cast<int64_t>(tokens.size()), E = hp.n_embd, F = hp.n_ff;
  const int64_t QD = hp.q_dim(), KD = hp.k_dim(), VD = hp.v_dim(), AO = hp.n_head * hp.head_dim_v;
  if (w.position_embd && n > w.position_embd.rows)
    fail(Errc::out_of_range, "the input has " + std::to_string(n) + " tokens; this model takes at most " +
                                 std::to_string(w.position_embd.rows));
  std::vector<float> x(static_cast<size_t>(n * E)), h(x.size()), q(static_cast<size_t>(n * QD)),
      kk(static_cast<size_t>(n * KD)), v(static_cast<size_t>(n * VD)), att(static_cast<size_t>(n * AO)),
      up(static_cast<size_t>(n * F)), gate, fused, row(static_cast<size_t>(E)), scores, rope_tab;
  for (int64_t t = 0; t < n; ++t) {
    float* xt = &x[t * E];
    tensor::get_row(k, w.token_embd.data, w.token_embd.type, E, tokens[t], xt, w.token_embd.layout);
    if (w.token_types) {
      tensor::get_row(k, w.token_types.data, w.token_types.type, E, 0, row.data(), w.token_types.layout);
      for (int64_t i = 0; i < E; ++i) xt[i] += row[i];
    }
    if (w.position_embd) {
      tensor::get_row(k, w.position_embd.data, w.position_embd.type, E, t, row.data(), w.position_embd.layout);
      for (int64_t i = 0; i < E; ++i) xt[i] += row[i];
    }
    layer_norm(xt, w.embd_norm_w, w.embd_norm_b, xt, E, hp.norm_eps);
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim_k));
  const int64_t group = hp.n_head / hp.n_head_kv;
  RopeParams rp;
  rp.base = hp.rope_base;
  for (const EncoderLayer& L : w.layers) {
    if (L.wqkv) {
      fused.resize(static_cast<size_t>(n * (QD + KD + VD)));
      matmul(k, L.wqkv, x.data(), n, fused.data(), pool);
      for (int64_t t = 0; t < n; ++t) {
        const float* r = &fused[t * (QD + KD + VD)];
        std::memcpy(&q[t * QD], r, QD * sizeof(float));
        std::memcpy(&kk[t * KD], r + QD, KD * sizeof(float));
        std::memcpy(&v[t * VD], r + QD + KD, VD * sizeof(float));
      }
    } else {
      matmul_shared(k, {{&L.wq, q.data()}, {&L.wk, kk.data()}, {&L.wv, v.data()}}, x.data(), n, pool);
      add_bias(q.data(), L.bq, n, QD);
      add_bias(kk.data(), L.bk, n, KD);
      add_bias(v.data(), L.bv, n, VD);
    }
    if (arch.encoder_rope)
      for (int64_t t = 0; t < n; ++t) {
        rope_table(t, hp.n_rot, rp, rope_tab);
        rope_apply(k, &q[t * QD], hp.n_head, hp.head_dim_k, hp.n_rot, arch.rope, rope_tab);
        rope_apply(k, &kk[t * KD], hp.n_head_kv, hp.head_dim_k, hp.n_rot, arch.rope, rope_tab);
      }
    // Bidirectional attention: every token sees all n.
    scores.resize(static_cast<size_t>(n));
    for (int64_t t = 0; t < n; ++t)
      for (int64_t hh = 0; hh < hp.n_head; ++hh) {
        const int64_t g = hh / group;
        tensor::attn_scores(k, &q[t * QD + hh * hp.head_dim_k], &kk[g * hp.head_dim_k], KD, n, hp.head_dim_k, scale,
                            scores.data());
        const float mx = *std::max_element(scores.begin(), scores.end());
        const float inv = 1.0f / tensor::exp_sum(k, scores.data(), n, mx);
        for (float& s : scores) s *= inv;
        float* o = &att[t * AO + hh * hp.head_dim_v];
        std::fill(o, o + hp.head_dim_v, 0.0f);
        tensor::weighted_sum(k, scores.data(), &v[g * hp.head_dim_v], VD, n, hp.head_dim_v, o);
      }
    matmul(k, L.wo, att.data(), n, h.data(), pool);
    add_bias(h.data(), L.bo, n, E);
    for (int64_t i = 0; i < n * E; ++i) x[i] += h[i];
    for (int64_t t = 0; t < n; ++t) layer_norm(&x[t * E], L.attn_norm_w, L.attn_norm_b, &x[t * E], E, hp.norm_eps);

    if (L.gate) {
      gate.resize(static_cast<size_t>(n * F));
      matmul_shared(k, {{&L.gate, gate.data()}, {&L.up, up.data()}}, x.data(), n, pool);
      swiglu(k, gate.data(), up.data(), n * F);
      matmul(k, L.down, gate.data(), n, h.data(), pool);
    } else {
      matmul(k, L.up, x.data(), n, up.data(), pool);
      add_bias(up.data(), L.up_b, n, F);
      gelu_f16(k, up.data(), n * F);
      matmul(k, L.down, up.data(), n, h.data(), pool);
    }
    add_bias(h.data(), L.down_b, n, E);
    for (int64_t i = 0; i < n * E; ++i) x[i] += h[i];
    for (int64_t t = 0; t < n; ++t) layer_norm(&x[t * E], L.out_norm_w, L.out_norm_b, &x[t * E], E, hp.norm_eps);
  }
  out = std::move(x);
}

}  // namespace hearth::model
