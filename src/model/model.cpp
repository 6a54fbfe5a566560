#include "model/model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "core/error.h"
#include "core/log.h"
#include "core/thread_pool.h"
#include "model/attention.h"
#include "model/ffn.h"
#include "model/linear.h"
#include "model/moe.h"
#include "model/rmsnorm.h"
#include "model/rope.h"
#include "model/tensor_list.h"
#include "tensor/ops.h"

namespace hearth::model {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

Weights bind_weights(const gguf::File& f, const ArchDef& arch, HParams& hp) {
  hp.n_vocab = bind_matrix(f, "token_embd.weight", hp.n_embd, 0).rows;
  Weights w = bind_tensors(f, decoder_tensors(arch, hp), hp.n_layer);
  if (!w.output) w.output = w.token_embd;  // tied embeddings
  return w;
}

void add_bias(float* y, const Weight& b, int64_t n, int64_t dim) {
  if (!b) return;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < dim; ++i) y[t * dim + i] += b.f32()[i];
}

}  // namespace

std::shared_ptr<Model> Model::load(const std::string& path, const LoadOptions& opts) {
  return from_file(std::make_shared<const gguf::File>(gguf::File::open(path)), opts);
}

std::shared_ptr<Model> Model::from_file(std::shared_ptr<const gguf::File> file, const LoadOptions& opts) {
  const std::string arch_name = file->architecture();
  if (arch_name.empty()) fail(Errc::format, file->name() + ": general.architecture is missing");
  const ArchDef* arch = find_arch(arch_name);
  if (!arch)
    fail(Errc::unsupported, file->name() + ": architecture '" + arch_name + "' is not supported (supported: " +
                                join(arch_names()) + ")");
  std::shared_ptr<Model> m(new Model());
  m->file_ = std::move(file);
  m->arch_ = arch;
  m->kernels_ = &tensor::kernels_for(opts.isa);
  m->hp_ = read_hparams(*m->file_, *arch);
  if (m->hp_.n_swa > 0 && !arch->sliding_layer)
    // Phi-3 files carry a window (2047) their converters wrote; llama.cpp runs them with full
    // attention on every layer and so does hearth, but the user should know past that length.
    log::warn(m->file_->name() + ": " + arch->name + ".attention.sliding_window = " + std::to_string(m->hp_.n_swa) +
              " is ignored: hearth runs " + arch->name +
              " with full attention on every layer, as llama.cpp does, so outputs past that many tokens may "
              "differ from the original model's");
  if (arch->encoder) {
    m->enc_ = std::make_unique<EncoderWeights>(bind_encoder(*m->file_, *arch, m->hp_));
    return m;
  }
  m->w_ = bind_weights(*m->file_, *arch, m->hp_);
  m->layer_cfg_ = layer_configs(*arch, m->hp_);
  // The GPU takes its layers' weights in the file's layout, so they are uploaded before the
  // CPU's share is repacked.
  OffloadRequest gpu;
  gpu.layers = opts.gpu_layers;
  gpu.device = opts.gpu_device;
  gpu.memory = opts.gpu_memory;
  gpu.loader = opts.gpu_loader;
  gpu.subgroups = opts.gpu_subgroups;
  gpu.integer_dot = opts.gpu_integer_dot;
  gpu.cpu_moe = opts.gpu_cpu_moe;
  m->gpu_ = GpuOffload::create(m->w_, m->hp_, *arch, m->layer_cfg_, gpu);
  const int64_t first_cpu = m->gpu_ ? m->gpu_->n_layers() : 0;
  const bool cpu_output = !m->gpu_ || !m->gpu_->has_output();
  const bool gpu_experts = m->gpu_ && m->gpu_->report().experts;
  if (opts.repack)
    place_weights(*m->kernels_, m->w_, m->file_->mapping(), m->arena_, first_cpu, cpu_output, gpu_experts);
  return m;
}

int64_t Model::default_n_ctx() const { return std::min<int64_t>(hp_.n_ctx_train, 4096); }

void Model::forward(KvCache& cache, std::span<const int32_t> tokens, bool all_logits, std::vector<float>& logits,
                    ThreadPool* pool) const {
  const SeqBatch one{&cache, tokens, all_logits};
  forward_batch(std::span<const SeqBatch>(&one, 1), logits, pool);
}

void Model::forward_batch(std::span<const SeqBatch> seqs, std::vector<float>& logits, ThreadPool* pool,
                          bool hidden) const {
  if (seqs.empty()) fail(Errc::invalid_argument, "forward: empty batch");
  // Validate everything first so a bad sequence cannot leave another one half-written.
  int64_t n = 0, n_out = 0;
  for (size_t s = 0; s < seqs.size(); ++s) {
    const SeqBatch& sq = seqs[s];
    const int64_t ns = static_cast<int64_t>(sq.tokens.size());
    if (!sq.cache) fail(Errc::invalid_argument, "forward: sequence " + std::to_string(s) + " has no cache");
    if (ns == 0) fail(Errc::invalid_argument, "forward: empty batch");
    for (size_t o = 0; o < s; ++o)
      if (seqs[o].cache == sq.cache) fail(Errc::invalid_argument, "forward: two sequences share one cache");
    const int64_t pos0 = sq.cache->size();
    if (pos0 + ns > sq.cache->n_ctx())
      fail(Errc::out_of_range, "context is full: " + std::to_string(pos0) + " cached + " + std::to_string(ns) +
                                   " new tokens exceed the context size of " + std::to_string(sq.cache->n_ctx()));
    for (int32_t t : sq.tokens)
      if (t < 0 || t >= hp_.n_vocab)
        fail(Errc::invalid_argument, "token id " + std::to_string(t) + " is outside the vocabulary (" +
                                         std::to_string(hp_.n_vocab) + " tokens)");
    n += ns;
    n_out += sq.all_logits ? ns : 1;
  }

  if (enc_) {
    if (!hidden)
      fail(Errc::unsupported, file_->name() + ": '" + arch_->name + "' is an embedding model: it cannot generate text");
    logits.clear();
    std::vector<float> rows;
    for (const SeqBatch& sq : seqs) {
      encode(*kernels_, *enc_, hp_, *arch_, sq.tokens, rows, pool);
      logits.insert(logits.end(), rows.begin(), rows.end());
    }
    return;
  }
  const int64_t E = hp_.n_embd, QD = hp_.q_dim(), KD = hp_.k_dim(), VD = hp_.v_dim();
  const int64_t AO = hp_.n_head * hp_.head_dim_v, F = hp_.n_ff;
  std::vector<float> x(n * E), h(n * E), q, k, v, att, gate, up, rope_tab, fused;
  // The FFN runs over at most kFfnTokens rows at a time: its two n x n_ff buffers are the largest
  // scratch of a long prompt (32 MB at 512 tokens for a 1B model), and re-reading the FFN
  // weights once more per chunk costs well under 1%. Results do not depend on the split.
  constexpr int64_t kFfnTokens = 256;
  const int64_t ffn_rows = std::min(n, kFfnTokens);
  // The CPU's layer scratch, only when layers are left for the CPU (a GPU runs the first ones).
  const int64_t first_cpu_layer = gpu_ ? gpu_->n_layers() : 0;
  if (first_cpu_layer < hp_.n_layer) {
    q.resize(n * QD);
    k.resize(n * KD);
    v.resize(n * VD);
    att.resize(n * AO);
    gate.resize(ffn_rows * F);
    up.resize(ffn_rows * F);
  }

  // Row r of the batch belongs to sequence seq_of[r] at position pos_of[r].
  std::vector<int64_t> seq_of(n), pos_of(n), row0(seqs.size());
  for (int64_t s = 0, r = 0; s < static_cast<int64_t>(seqs.size()); ++s) {
    row0[s] = r;
    const int64_t pos0 = seqs[s].cache->size();
    for (size_t t = 0; t < seqs[s].tokens.size(); ++t, ++r) {
      seq_of[r] = s;
      pos_of[r] = pos0 + static_cast<int64_t>(t);
      tensor::get_row(*kernels_, w_.token_embd.data, w_.token_embd.type, E, seqs[s].tokens[t], &x[r * E], w_.token_embd.layout);
    }
  }
  if (arch_->embed_scale) {
    const float sc = std::sqrt(static_cast<float>(E));
    for (float& xi : x) xi *= sc;
  }

  // Frequency factors per sequence: LongRoPE picks its long set once the context outgrows the
  // original one (as llama.cpp decides by context size, not position).
  std::vector<const float*> ff_of(seqs.size(), w_.rope_freqs ? w_.rope_freqs.f32() : nullptr);
  if (w_.rope_long && w_.rope_short)
    for (size_t s = 0; s < seqs.size(); ++s)
      ff_of[s] = seqs[s].cache->n_ctx() > hp_.n_ctx_orig ? w_.rope_long.f32() : w_.rope_short.f32();
  // The first layers (and perhaps the output head) on the GPU.
  std::vector<float> gpu_logits;
  const bool gpu_output = gpu_ && gpu_->has_output() && !hidden;
  if (gpu_) {
    OffloadBatch b;
    for (size_t s = 0; s < seqs.size(); ++s) {
      b.caches.push_back(seqs[s].cache);
      b.row0.push_back(row0[s]);
      b.n_tokens.push_back(static_cast<int64_t>(seqs[s].tokens.size()));
      b.freq_factors.push_back(ff_of[s]);
      const int64_t ns = static_cast<int64_t>(seqs[s].tokens.size());
      for (int64_t t = seqs[s].all_logits ? 0 : ns - 1; t < ns; ++t) b.out_rows.push_back(row0[s] + t);
    }
    b.pos = pos_of;
    b.seq = seq_of;
    gpu_->run(b, x, gpu_output ? &gpu_logits : nullptr, *kernels_, pool);
  }
  for (int64_t il = first_cpu_layer; il < hp_.n_layer; ++il) {
    const LayerWeights& L = w_.layers[il];
    const LayerConfig& lc = layer_cfg_[il];
    const AttnLayer attn_opt{lc.window, hp_.attn_softcap, L.attn_sinks ? L.attn_sinks.f32() : nullptr};
    RopeParams rp = lc.rope;
    for (int64_t t = 0; t < n; ++t) rms_norm(*kernels_, &x[t * E], L.attn_norm.f32(), &h[t * E], E, hp_.rms_eps);
    if (L.wqkv) {
      fused.resize(static_cast<size_t>(n * (QD + KD + VD)));
      matmul(*kernels_, L.wqkv, h.data(), n, fused.data(), pool);
      for (int64_t t = 0; t < n; ++t) {
        const float* row = &fused[t * (QD + KD + VD)];
        std::memcpy(&q[t * QD], row, QD * sizeof(float));
        std::memcpy(&k[t * KD], row + QD, KD * sizeof(float));
        std::memcpy(&v[t * VD], row + QD + KD, VD * sizeof(float));
      }
    } else {
      matmul_shared(*kernels_, {{&L.wq, q.data()}, {&L.wk, k.data()}, {&L.wv, v.data()}}, h.data(), n, pool);
    }
    add_bias(q.data(), L.bq, n, QD);
    add_bias(k.data(), L.bk, n, KD);
    add_bias(v.data(), L.bv, n, VD);
    for (int64_t t = 0; t < n; ++t) {
      float* qt = &q[t * QD];
      float* kt = &k[t * KD];
      if (L.q_norm) {
        for (int64_t hh = 0; hh < hp_.n_head; ++hh)
          rms_norm(*kernels_, qt + hh * hp_.head_dim_k, L.q_norm.f32(), qt + hh * hp_.head_dim_k, hp_.head_dim_k, hp_.rms_eps);
        for (int64_t hh = 0; hh < hp_.n_head_kv; ++hh)
          rms_norm(*kernels_, kt + hh * hp_.head_dim_k, L.k_norm.f32(), kt + hh * hp_.head_dim_k, hp_.head_dim_k, hp_.rms_eps);
      }
      if (hp_.n_rot > 0) {
        rp.freq_factors = ff_of[seq_of[t]];
        rope_table(pos_of[t], hp_.n_rot, rp, rope_tab);
        rope_apply(*kernels_, qt, hp_.n_head, hp_.head_dim_k, hp_.n_rot, arch_->rope, rope_tab);
        rope_apply(*kernels_, kt, hp_.n_head_kv, hp_.head_dim_k, hp_.n_rot, arch_->rope, rope_tab);
      }
      KvCache& c = *seqs[seq_of[t]].cache;
      c.store(il, pos_of[t], kt, &v[t * VD]);
    }
    for (size_t s = 0; s < seqs.size(); ++s) {
      const int64_t r = row0[s];
      attention(*kernels_, &q[r * QD], static_cast<int64_t>(seqs[s].tokens.size()), seqs[s].cache->size(), il, *seqs[s].cache,
                hp_, &att[r * AO], pool, attn_opt);
    }
    matmul(*kernels_, L.wo, att.data(), n, h.data(), pool);
    add_bias(h.data(), L.bo, n, E);
    if (L.post_attn_norm)
      for (int64_t t = 0; t < n; ++t) rms_norm(*kernels_, &h[t * E], L.post_attn_norm.f32(), &h[t * E], E, hp_.rms_eps);
    for (int64_t i = 0; i < n * E; ++i) x[i] += h[i];

    for (int64_t t = 0; t < n; ++t) rms_norm(*kernels_, &x[t * E], L.ffn_norm.f32(), &h[t * E], E, hp_.rms_eps);
    for (int64_t t0 = 0; t0 < n; t0 += ffn_rows) {
      // Rows t0.. of h are this chunk's input, consumed before down overwrites them.
      const int64_t m = std::min(ffn_rows, n - t0);
      if (L.gate_inp) {
        // Experts write a separate buffer: their input rows must stay intact until all have run.
        fused.resize(static_cast<size_t>(m * E));
        moe_ffn(*kernels_, L, hp_, *arch_, &h[t0 * E], m, fused.data(), pool);
        std::memcpy(&h[t0 * E], fused.data(), static_cast<size_t>(m * E) * sizeof(float));
        continue;
      }
      if (L.gate_up) {
        fused.resize(static_cast<size_t>(m * 2 * F));
        matmul(*kernels_, L.gate_up, &h[t0 * E], m, fused.data(), pool);
        for (int64_t t = 0; t < m; ++t) {
          std::memcpy(&gate[t * F], &fused[t * 2 * F], F * sizeof(float));
          std::memcpy(&up[t * F], &fused[t * 2 * F + F], F * sizeof(float));
        }
      } else {
        matmul_shared(*kernels_, {{&L.gate, gate.data()}, {&L.up, up.data()}}, &h[t0 * E], m, pool);
      }
      if (arch_->ffn_act == FfnActivation::gelu_f16) geglu_f16(*kernels_, gate.data(), up.data(), m * F);
      else swiglu(*kernels_, gate.data(), up.data(), m * F);
      matmul(*kernels_, L.down, gate.data(), m, &h[t0 * E], pool);
    }
    if (L.post_ffn_norm)
      for (int64_t t = 0; t < n; ++t) rms_norm(*kernels_, &h[t * E], L.post_ffn_norm.f32(), &h[t * E], E, hp_.rms_eps);
    for (int64_t i = 0; i < n * E; ++i) x[i] += h[i];
  }
  for (const SeqBatch& sq : seqs) sq.cache->advance(static_cast<int64_t>(sq.tokens.size()));
  if (gpu_output) {
    logits = std::move(gpu_logits);
    return;
  }

  // Only the rows whose logits are wanted go through the (large) output matrix.
  int64_t o = 0;
  for (size_t s = 0; s < seqs.size(); ++s) {
    const int64_t ns = static_cast<int64_t>(seqs[s].tokens.size());
    for (int64_t t = seqs[s].all_logits ? 0 : ns - 1; t < ns; ++t, ++o)
      rms_norm(*kernels_, &x[(row0[s] + t) * E], w_.output_norm.f32(), &h[o * E], E, hp_.rms_eps);
  }
  if (hidden) {
    logits.assign(h.begin(), h.begin() + n_out * E);
    return;
  }
  logits.resize(static_cast<size_t>(n_out * hp_.n_vocab));
  matmul(*kernels_, w_.output, h.data(), n_out, logits.data(), pool);
  if (hp_.final_softcap > 0) {
    const float cap = hp_.final_softcap, inv = 1.0f / cap;
    for (float& l : logits) l = cap * std::tanh(l * inv);
  }
}

}  // namespace hearth::model
