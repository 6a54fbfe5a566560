#include "model/tensor_list.h"

namespace hearth::model {
namespace {

// Shapes below use E = n_embd, V = n_vocab, F = n_ff, X = n_expert, Fx = expert FFN width,
// Q/K/Vd = the q, k, v projection widths; ggml order, so [E, V] is V rows of E values.
struct Lister {
  std::vector<TensorSpec>& out;
  void model(const std::string& name, std::vector<int64_t> dims, TensorRole role, Weight Weights::*slot,
             bool optional = false) {
    out.push_back({name, std::move(dims), role, optional, slot, nullptr, -1});
  }
  void layer(int64_t il, const std::string& name, std::vector<int64_t> dims, TensorRole role,
             Weight LayerWeights::*slot, bool optional = false) {
    out.push_back({"blk." + std::to_string(il) + "." + name, std::move(dims), role, optional, nullptr, slot, il});
  }
};

}  // namespace

std::vector<TensorSpec> decoder_tensors(const ArchDef& a, const HParams& hp) {
  using R = TensorRole;
  std::vector<TensorSpec> out;
  Lister ls{out};
  const int64_t E = hp.n_embd, V = hp.n_vocab, F = hp.n_ff, X = hp.n_expert, Fx = hp.n_ff_exp;
  const int64_t Qd = hp.q_dim(), Kd = hp.k_dim(), Vd = hp.v_dim(), AO = hp.n_head * hp.head_dim_v;
  ls.model("token_embd.weight", {E, V}, R::matrix, &Weights::token_embd);             // [E, V]
  ls.model("output_norm.weight", {E}, R::norm, &Weights::output_norm);                // [E]
  ls.model("output.weight", {E, V}, R::matrix, &Weights::output, true);               // absent: tied
  if (a.rope_freq_factors)  // llama-3 frequency scaling
    ls.model("rope_freqs.weight", {hp.n_rot / 2}, R::rope_factors, &Weights::rope_freqs, true);
  if (a.longrope) {
    ls.model("rope_factors_long.weight", {hp.n_rot / 2}, R::rope_factors, &Weights::rope_long, true);
    ls.model("rope_factors_short.weight", {hp.n_rot / 2}, R::rope_factors, &Weights::rope_short, true);
  }
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    ls.layer(il, "attn_norm.weight", {E}, R::norm, &LayerWeights::attn_norm);
    if (a.fused_qkv) {
      ls.layer(il, "attn_qkv.weight", {E, Qd + Kd + Vd}, R::matrix, &LayerWeights::wqkv);
    } else {
      ls.layer(il, "attn_q.weight", {E, Qd}, R::matrix, &LayerWeights::wq);
      ls.layer(il, "attn_k.weight", {E, Kd}, R::matrix, &LayerWeights::wk);
      ls.layer(il, "attn_v.weight", {E, Vd}, R::matrix, &LayerWeights::wv);
    }
    if (a.qkv_bias) {
      ls.layer(il, "attn_q.bias", {Qd}, R::bias, &LayerWeights::bq);
      ls.layer(il, "attn_k.bias", {Kd}, R::bias, &LayerWeights::bk);
      ls.layer(il, "attn_v.bias", {Vd}, R::bias, &LayerWeights::bv);
    }
    if (a.qk_norm) {  // one RMSNorm weight shared by every head
      ls.layer(il, "attn_q_norm.weight", {hp.head_dim_k}, R::norm, &LayerWeights::q_norm);
      ls.layer(il, "attn_k_norm.weight", {hp.head_dim_k}, R::norm, &LayerWeights::k_norm);
    }
    ls.layer(il, "attn_output.weight", {AO, E}, R::matrix, &LayerWeights::wo);
    ls.layer(il, "attn_output.bias", {E}, R::bias, &LayerWeights::bo, true);
    ls.layer(il, "attn_sinks.weight", {hp.n_head}, R::bias, &LayerWeights::attn_sinks, true);
    if (a.post_norms) {
      ls.layer(il, "post_attention_norm.weight", {E}, R::norm, &LayerWeights::post_attn_norm);
      ls.layer(il, "post_ffw_norm.weight", {E}, R::norm, &LayerWeights::post_ffn_norm);
    }
    ls.layer(il, std::string(a.ffn_norm_tensor) + ".weight", {E}, R::norm, &LayerWeights::ffn_norm);
    if (X > 0) {  // the router and X stacked experts
      ls.layer(il, "ffn_gate_inp.weight", {E, X}, R::matrix, &LayerWeights::gate_inp);
      ls.layer(il, "ffn_gate_exps.weight", {E, Fx, X}, R::matrix, &LayerWeights::gate_exps);
      ls.layer(il, "ffn_up_exps.weight", {E, Fx, X}, R::matrix, &LayerWeights::up_exps);
      ls.layer(il, "ffn_down_exps.weight", {Fx, E, X}, R::matrix, &LayerWeights::down_exps);
      ls.layer(il, "ffn_gate_inp.bias", {X}, R::bias, &LayerWeights::gate_inp_b, true);
      ls.layer(il, "ffn_gate_exps.bias", {Fx, X}, R::bias, &LayerWeights::gate_exps_b, true);
      ls.layer(il, "ffn_up_exps.bias", {Fx, X}, R::bias, &LayerWeights::up_exps_b, true);
      ls.layer(il, "ffn_down_exps.bias", {E, X}, R::bias, &LayerWeights::down_exps_b, true);
    } else if (a.fused_gate_up) {  // [gate; up]
      ls.layer(il, "ffn_up.weight", {E, 2 * F}, R::matrix, &LayerWeights::gate_up);
      ls.layer(il, "ffn_down.weight", {F, E}, R::matrix, &LayerWeights::down);
    } else {
      ls.layer(il, "ffn_gate.weight", {E, F}, R::matrix, &LayerWeights::gate);
      ls.layer(il, "ffn_up.weight", {E, F}, R::matrix, &LayerWeights::up);
      ls.layer(il, "ffn_down.weight", {F, E}, R::matrix, &LayerWeights::down);
    }
  }
  return out;
}

Weights bind_tensors(const gguf::File& f, const std::vector<TensorSpec>& list, int64_t n_layer) {
  Weights w;
  w.layers.resize(static_cast<size_t>(n_layer));
  for (const TensorSpec& t : list) {
    Weight b;
    if (t.dims.size() == 3) {  // stacked experts, always required
      b = bind_experts(f, t.name, t.dims[0], t.dims[1], t.dims[2]);
    } else if (t.dims.size() == 2) {
      b = t.optional ? bind_optional_matrix(f, t.name, t.dims[0], t.dims[1]) : bind_matrix(f, t.name, t.dims[0], t.dims[1]);
    } else {
      b = t.optional ? bind_optional_vector(f, t.name, t.dims[0]) : bind_vector(f, t.name, t.dims[0]);
    }
    if (t.model_slot) w.*t.model_slot = b;
    else w.layers[static_cast<size_t>(t.layer)].*t.layer_slot = b;
  }
  return w;
}

}  // namespace hearth::model
