// Architecture registry. Each supported architecture lives in its own arch_<name>.cpp, which
// defines a function returning its ArchDef; arch_registry.cpp lists those functions, one line
// each. The registry is an explicit list (not static initializers) because the model code is a
// static library and the linker would drop unreferenced self-registering objects.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hearth::model {

// How RoPE pairs the dimensions of a head (llama.cpp calls these NORM and NEOX).
enum class RopeStyle {
  adjacent,  // pairs (2i, 2i+1): llama
  neox,      // pairs (i, i + n_rot/2): qwen2, qwen3, gpt-neox
};

enum class FfnActivation {
  silu,      // SwiGLU
  gelu_f16,  // gelu(gate) * up, GELU's tanh form through an F16 table as llama.cpp's CPU backend
  swiglu_oai,  // gpt-oss: g = min(gate, 7), u = clamp(up, -7, 7), (u + 1) * g * sigmoid(1.702 g)
};

// How a mixture of experts weighs the experts it picks (always the top expert_used_count).
enum class MoeGating {
  softmax_renorm,  // softmax over all experts, the chosen probabilities renormalised (Mixtral, Qwen)
  softmax_chosen,  // softmax over the chosen experts' logits only (gpt-oss)
};

// What distinguishes one pre-norm decoder-only transformer from another. The shared forward pass
// (model.cpp) reads these switches; an architecture that needs more adds a switch here.
struct ArchDef {
  std::string name;             // general.architecture value, also the metadata key prefix
  RopeStyle rope = RopeStyle::adjacent;
  bool qkv_bias = false;        // attn_{q,k,v}.bias required
  bool qk_norm = false;         // attn_{q,k}_norm.weight: per-head RMSNorm on q and k before RoPE
  bool rope_freq_factors = false;  // may carry rope_freqs.weight (llama-3 scaling)
  bool fused_qkv = false;       // one attn_qkv matrix: q, k, v rows in that order
  bool fused_gate_up = false;   // ffn_up holds [gate; up] (2 x n_ff rows), no ffn_gate
  // LongRoPE: rope_factors_long/short divide the frequencies; long ones when the context is
  // longer than rope.scaling.original_context_length.
  bool longrope = false;
  bool moe = false;
  MoeGating moe_gating = MoeGating::softmax_renorm;
  const char* ffn_norm_tensor = "ffn_norm";  // gpt-oss stores its FFN pre-norm as post_attention_norm
  bool post_norms = false;      // post_attention_norm / post_ffw_norm on each block's output (gemma)
  bool embed_scale = false;     // token embeddings times sqrt(n_embd) (gemma)
  FfnActivation ffn_act = FfnActivation::silu;
  // Which layers attend only to the last attention.sliding_window positions (null: none).
  bool (*sliding_layer)(int64_t il) = nullptr;
  // > 0: sliding-window layers use this RoPE base without scaling; the others the file's (gemma3).
  float local_rope_base = 0.0f;
  // Encoders (bert, nomic-bert): bidirectional attention, LayerNorm, hidden states only.
  bool encoder = false;
  bool learned_positions = false;  // position_embd.weight added to the input (bert)
  bool encoder_rope = false;       // RoPE on q and k (nomic-bert)
  float default_rope_base = 10000.0f;
};

// The definition registered for `arch`, or nullptr.
const ArchDef* find_arch(const std::string& arch);
// Names of every registered architecture (for error messages and docs).
std::vector<std::string> arch_names();

// One function per architecture file.
const ArchDef& arch_llama();
const ArchDef& arch_qwen2();
const ArchDef& arch_qwen3();
const ArchDef& arch_phi3();
const ArchDef& arch_qwen3moe();
const ArchDef& arch_gemma2();
const ArchDef& arch_gemma3();
const ArchDef& arch_gpt_oss();
const ArchDef& arch_bert();
const ArchDef& arch_nomic_bert();

}  // namespace hearth::model
