#include "model/synth.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "core/error.h"
#include "model/hparams.h"
#include "model/synth_gguf.h"
#include "model/tensor_list.h"
#include "tokenizer/synth_vocab.h"

namespace hearth::model {
namespace {

using gguf::Value;
using tensor::Type;

SynthPreset tiny(const std::string& arch) {
  SynthPreset p;
  p.name = "tiny";
  p.arch = arch;
  p.n_vocab = 2048;
  p.n_embd = 256;
  p.n_layer = 4;
  p.n_head = arch == "llama" ? 8 : 4;
  p.n_head_kv = 2;
  p.head_dim = arch == "llama" || arch == "qwen2" ? p.n_embd / p.n_head : 64;
  p.n_ff = 768;
  p.n_ctx = 4096;
  p.rope_base = arch == "llama" || arch == "phi3" ? 10000.0f : 1000000.0f;
  p.rms_eps = arch == "llama" || arch == "phi3" ? 1e-5f : 1e-6f;
  p.tied = arch != "llama" && arch != "phi3";
  p.vocab_style = arch == "llama" ? tokenizer::SynthVocabStyle::llama3 : tokenizer::SynthVocabStyle::chatml;
  if (arch == "gemma3") {  // one global layer after five local ones, a window prompts cross
    p.n_layer = 6;
    p.n_head_kv = 1;
    p.n_swa = 32;
  } else if (arch == "phi3") {  // partial rotation, LongRoPE past 512 positions
    p.n_head = 8;
    p.head_dim = 32;
    p.n_rot = 24;
    p.longrope = true;
    p.rope_orig_ctx = 512;
    p.rope_attn_factor = 1.1f;
  } else if (arch == "qwen3moe") {
    p.n_expert = 8, p.n_expert_used = 2, p.n_ff_exp = 128;
  } else if (arch == "gpt-oss") {
    // gpt-oss-20b's layer in small: queries wider than the embedding, biases and sinks, a window
    // on even layers that prompts cross, YaRN 8x past 512 positions, a harmony vocabulary.
    p.n_head = 8;
    p.n_ff = p.n_ff_exp = 256;
    p.n_expert = 4, p.n_expert_used = 2;
    p.n_swa = 32;
    p.rope_base = 150000.0f;
    p.rms_eps = 1e-5f;
    p.tied = false;
    p.rope_yarn_factor = 8.0f, p.rope_orig_ctx = 512;
    p.attn_out_bias = p.attn_sinks = p.expert_biases = true;
    p.vocab_style = tokenizer::SynthVocabStyle::harmony;
  }
  return p;
}

// Shapes as published for each model (config.json of the Hugging Face release).
std::vector<SynthPreset> build_presets() {
  std::vector<SynthPreset> v;
  for (const char* a : {"llama", "qwen2", "qwen3", "gemma3", "phi3", "qwen3moe", "gpt-oss"}) v.push_back(tiny(a));
  SynthPreset l32;
  l32.name = "llama-3.2-1b";
  l32.arch = "llama";
  l32.n_vocab = 128256, l32.n_embd = 2048, l32.n_layer = 16, l32.n_head = 32, l32.n_head_kv = 8;
  l32.head_dim = 64, l32.n_ff = 8192, l32.n_ctx = 131072, l32.rope_base = 500000.0f, l32.rms_eps = 1e-5f;
  l32.tied = true;
  l32.vocab_style = tokenizer::SynthVocabStyle::llama3;
  l32.rope_scale_factor = 32.0f, l32.rope_low_freq = 1.0f, l32.rope_high_freq = 4.0f, l32.rope_orig_ctx = 8192;
  v.push_back(l32);
  SynthPreset l31 = l32;
  l31.name = "llama-3.1-8b";
  l31.n_embd = 4096, l31.n_layer = 32, l31.n_head = 32, l31.n_head_kv = 8, l31.head_dim = 128, l31.n_ff = 14336;
  l31.tied = false;
  l31.rope_scale_factor = 8.0f;
  v.push_back(l31);
  SynthPreset q25;
  q25.name = "qwen2.5-0.5b";
  q25.arch = "qwen2";
  q25.n_vocab = 151936, q25.n_embd = 896, q25.n_layer = 24, q25.n_head = 14, q25.n_head_kv = 2;
  q25.head_dim = 64, q25.n_ff = 4864, q25.n_ctx = 32768, q25.rope_base = 1000000.0f, q25.rms_eps = 1e-6f;
  q25.tied = true;
  v.push_back(q25);
  SynthPreset q3;
  q3.name = "qwen3-0.6b";
  q3.arch = "qwen3";
  q3.n_vocab = 151936, q3.n_embd = 1024, q3.n_layer = 28, q3.n_head = 16, q3.n_head_kv = 8;
  q3.head_dim = 128, q3.n_ff = 3072, q3.n_ctx = 40960, q3.rope_base = 1000000.0f, q3.rms_eps = 1e-6f;
  q3.tied = true;
  v.push_back(q3);
  SynthPreset g3;  // google/gemma-3-1b-it
  g3.name = "gemma3-1b";
  g3.arch = "gemma3";
  g3.n_vocab = 262144, g3.n_embd = 1152, g3.n_layer = 26, g3.n_head = 4, g3.n_head_kv = 1;
  g3.head_dim = 256, g3.n_ff = 6912, g3.n_ctx = 32768, g3.rope_base = 1000000.0f, g3.rms_eps = 1e-6f;
  g3.n_swa = 512, g3.tied = true;
  v.push_back(g3);
  SynthPreset p4;  // microsoft/Phi-4-mini-instruct: 3/4 of each head rotated, LongRoPE 4k -> 128k
  p4.name = "phi4-mini";
  p4.arch = "phi3";
  p4.n_vocab = 200064, p4.n_embd = 3072, p4.n_layer = 32, p4.n_head = 24, p4.n_head_kv = 8;
  p4.head_dim = 128, p4.n_rot = 96, p4.n_ff = 8192, p4.n_ctx = 131072, p4.rope_base = 10000.0f, p4.rms_eps = 1e-5f;
  p4.tied = true, p4.longrope = true, p4.rope_orig_ctx = 4096;
  p4.n_swa = 262144;  // as its converted files carry it (hearth ignores it; ik_llama.cpp requires it)
  p4.rope_attn_factor = 1.1902380714f;  // sqrt(1 + ln(131072 / 4096) / ln(4096)), as converters write it
  v.push_back(p4);
  // Qwen3-30B-A3B's layer (2048 wide, 32/4 heads of 128, experts 768 wide) with fewer layers
  // and experts: ~7.0B parameters, ~1.1B of them read per token (attention, 4 of 64 experts,
  // the output matrix).
  SynthPreset qm;
  qm.name = "qwen3-moe-small";
  qm.arch = "qwen3moe";
  qm.n_vocab = 151936, qm.n_embd = 2048, qm.n_layer = 20, qm.n_head = 32, qm.n_head_kv = 4;
  qm.head_dim = 128, qm.n_ff = 6144, qm.n_ctx = 40960, qm.rope_base = 1000000.0f, qm.rms_eps = 1e-6f;
  qm.n_expert = 64, qm.n_expert_used = 4, qm.n_ff_exp = 768;
  v.push_back(qm);
  SynthPreset go;  // openai/gpt-oss-20b (its experts are MXFP4 there; synth writes --type)
  go.name = "gpt-oss-20b";
  go.arch = "gpt-oss";
  go.n_vocab = 201088, go.n_embd = 2880, go.n_layer = 24, go.n_head = 64, go.n_head_kv = 8;
  go.head_dim = 64, go.n_ff = 2880, go.n_ctx = 131072, go.rope_base = 150000.0f, go.rms_eps = 1e-5f;
  go.n_expert = 32, go.n_expert_used = 4, go.n_ff_exp = 2880, go.n_swa = 128;
  go.rope_yarn_factor = 32.0f, go.rope_orig_ctx = 4096;
  go.attn_out_bias = go.attn_sinks = go.expert_biases = true;
  go.vocab_style = tokenizer::SynthVocabStyle::harmony;
  v.push_back(go);
  return v;
}

const ArchDef& synth_arch(const std::string& name) {
  const ArchDef* a = find_arch(name);
  if (!a || a->encoder) fail(Errc::invalid_argument, "'" + name + "' is not a decoder architecture hearth runs");
  return *a;
}

HParams preset_hparams(const SynthPreset& p) {
  HParams h;
  h.n_vocab = p.n_vocab, h.n_embd = p.n_embd, h.n_layer = p.n_layer, h.n_ff = p.n_ff;
  h.n_head = p.n_head, h.n_head_kv = p.n_head_kv, h.head_dim_k = h.head_dim_v = p.head_dim;
  h.n_rot = p.n_rot > 0 ? p.n_rot : p.head_dim;
  h.n_ctx_train = p.n_ctx, h.rms_eps = p.rms_eps, h.rope_base = p.rope_base;
  h.n_expert = p.n_expert, h.n_expert_used = p.n_expert_used, h.n_ff_exp = p.n_ff_exp;
  h.n_swa = p.n_swa;
  // Llama 3 frequency scaling lives only in rope_freqs.weight: llama.cpp's converter writes no
  // rope.scaling.* keys for it (and refuses a scaling type named "llama3"), so none is set here.
  if (p.longrope) h.n_ctx_orig = p.rope_orig_ctx;
  if (p.rope_yarn_factor > 0) {
    h.rope_yarn = true;
    h.rope_freq_scale = 1.0f / p.rope_yarn_factor;
    h.n_ctx_orig = p.rope_orig_ctx;
  }
  h.rope_attn_factor = p.rope_attn_factor;
  return h;
}

// The architecture's tensor list with the optional tensors this preset has, in llama-quantize's
// order.
std::vector<TensorSpec> tensor_plan(const SynthPreset& p, const ArchDef& arch, const HParams& hp) {
  std::vector<TensorSpec> v;
  for (TensorSpec& t : decoder_tensors(arch, hp)) {
    if (t.optional) {
      const auto ls = t.layer_slot;
      const bool want = (t.model_slot == &Weights::output && !p.tied) ||
                        (t.model_slot == &Weights::rope_freqs && p.rope_scale_factor > 0) ||
                        ((t.model_slot == &Weights::rope_long || t.model_slot == &Weights::rope_short) && p.longrope) ||
                        (ls == &LayerWeights::bo && p.attn_out_bias) || (ls == &LayerWeights::attn_sinks && p.attn_sinks) ||
                        ((ls == &LayerWeights::gate_inp_b || ls == &LayerWeights::gate_exps_b ||
                          ls == &LayerWeights::up_exps_b || ls == &LayerWeights::down_exps_b) &&
                         p.expert_biases);
      if (!want) continue;
    }
    v.push_back(std::move(t));
  }
  std::stable_sort(v.begin(), v.end(), [](const TensorSpec& a, const TensorSpec& b) { return llama_cpp_tensor_less(a.name, b.name); });
  return v;
}

// LongRoPE's two factor sets (random-weight stand-ins with the real ones' trend): short ones
// near 1, long ones rising from 1 on the fastest pair to the context ratio on the slowest.
std::vector<float> longrope_factors(const SynthPreset& p, bool long_set) {
  const int64_t n = (p.n_rot > 0 ? p.n_rot : p.head_dim) / 2;
  const double ratio = static_cast<double>(p.n_ctx) / static_cast<double>(p.rope_orig_ctx);
  std::vector<float> out;
  for (int64_t i = 0; i < n; ++i) {
    const double t = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
    out.push_back(static_cast<float>(long_set ? 1.0 + (ratio - 1.0) * t * t : 1.0 + 0.05 * t));
  }
  return out;
}

// llama-3's frequency scaling as a per-dimension-pair divisor of the RoPE frequency: long
// wavelengths are slowed by `factor`, short ones kept, the band between interpolated.
std::vector<float> llama3_rope_factors(const SynthPreset& p) {
  const double lo_wavelen = static_cast<double>(p.rope_orig_ctx) / p.rope_low_freq;
  const double hi_wavelen = static_cast<double>(p.rope_orig_ctx) / p.rope_high_freq;
  std::vector<float> out;
  for (int64_t i = 0; i < p.head_dim; i += 2) {
    const double freq = 1.0 / std::pow(static_cast<double>(p.rope_base), static_cast<double>(i) / p.head_dim);
    const double wavelen = 2.0 * M_PI / freq;
    double f;
    if (wavelen < hi_wavelen) {
      f = 1.0;
    } else if (wavelen > lo_wavelen) {
      f = p.rope_scale_factor;
    } else {
      const double smooth = (p.rope_orig_ctx / wavelen - p.rope_low_freq) / (p.rope_high_freq - p.rope_low_freq);
      f = 1.0 / ((1.0 - smooth) / p.rope_scale_factor + smooth);
    }
    out.push_back(static_cast<float>(f));
  }
  return out;
}

uint64_t mix64(uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Fills one row with uniform values in [center - half, center + half]. Each row has its own
// stream keyed by (seed, tensor, row), so chunks can be generated in any order on any thread.
void fill_row(uint64_t seed, size_t tensor, int64_t row, float center, float half, float* out, int64_t n) {
  uint64_t s = mix64(seed ^ mix64((tensor + 1) * 0x9e3779b97f4a7c15ull) ^ mix64(static_cast<uint64_t>(row) + 0x632be59bd9b4e019ull));
  const float scale = half / 2147483648.0f;
  int64_t i = 0;
  for (; i + 1 < n; i += 2) {
    s += 0x9e3779b97f4a7c15ull;
    const uint64_t r = mix64(s);
    out[i] = center + static_cast<float>(static_cast<int32_t>(r)) * scale;
    out[i + 1] = center + static_cast<float>(static_cast<int32_t>(r >> 32)) * scale;
  }
  if (i < n) {
    s += 0x9e3779b97f4a7c15ull;
    out[i] = center + static_cast<float>(static_cast<int32_t>(mix64(s))) * scale;
  }
}

std::vector<std::pair<std::string, Value>> metadata(const SynthPreset& p, const ArchDef& arch, const HParams& hp,
                                                     FileType ft, uint64_t seed,
                                                     const tokenizer::SynthVocab& vocab) {
  std::vector<std::pair<std::string, Value>> kv;
  kv.emplace_back("general.architecture", Value::str(p.arch));
  kv.emplace_back("general.type", Value::str("model"));
  kv.emplace_back("general.name", Value::str("hearth synth " + p.name + " (random weights, seed " +
                                             std::to_string(seed) + ")"));
  for (auto& e : hparams_metadata(arch, hp)) kv.push_back(std::move(e));
  kv.emplace_back("general.file_type", Value::u32(static_cast<uint32_t>(ft)));
  kv.emplace_back("tokenizer.ggml.model", Value::str("gpt2"));
  kv.emplace_back("tokenizer.ggml.pre", Value::str(vocab.pre));
  kv.emplace_back("tokenizer.ggml.tokens", Value::strings(vocab.tokens));
  std::vector<Value> types;
  types.reserve(vocab.types.size());
  for (int32_t t : vocab.types) types.push_back(Value::i32(t));
  kv.emplace_back("tokenizer.ggml.token_type", Value::array(gguf::ValueType::INT32, std::move(types)));
  kv.emplace_back("tokenizer.ggml.merges", Value::strings(vocab.merges));
  kv.emplace_back("tokenizer.ggml.bos_token_id", Value::u32(static_cast<uint32_t>(vocab.bos_id)));
  kv.emplace_back("tokenizer.ggml.eos_token_id", Value::u32(static_cast<uint32_t>(vocab.eos_id)));
  if (vocab.eot_id >= 0) kv.emplace_back("tokenizer.ggml.eot_token_id", Value::u32(static_cast<uint32_t>(vocab.eot_id)));
  kv.emplace_back("tokenizer.ggml.padding_token_id", Value::u32(static_cast<uint32_t>(vocab.pad_id)));
  kv.emplace_back("tokenizer.ggml.add_bos_token", Value::boolean(vocab.add_bos));
  kv.emplace_back("tokenizer.chat_template", Value::str(vocab.chat_template));
  if (tensor::traits(file_type_info(ft).base).quantized)
    kv.emplace_back("general.quantization_version", Value::u32(2));
  kv.emplace_back("hearth.synth.preset", Value::str(p.name));
  kv.emplace_back("hearth.synth.seed", Value::u64(seed));
  return kv;
}

}  // namespace

const std::vector<SynthPreset>& synth_presets() {
  static const std::vector<SynthPreset> presets = build_presets();
  return presets;
}

const SynthPreset& resolve_synth_preset(const std::string& preset, const std::string& arch) {
  std::string known, tiny_archs;
  for (const auto& p : synth_presets())
    if (p.name == "tiny") tiny_archs += (tiny_archs.empty() ? "" : ", ") + p.arch;
  bool arch_known = arch.empty();
  for (const auto& p : synth_presets()) arch_known = arch_known || p.arch == arch;
  if (!arch_known) fail(Errc::invalid_argument, "--arch '" + arch + "' is not one of " + tiny_archs);
  for (const auto& p : synth_presets()) {
    if (p.name == "tiny") {
      if (preset == "tiny" && p.arch == (arch.empty() ? "llama" : arch)) return p;
      continue;
    }
    known += ", " + p.name;
    if (p.name != preset) continue;
    if (!arch.empty() && arch != p.arch)
      fail(Errc::invalid_argument, "preset '" + preset + "' is a " + p.arch + " model, not " + arch);
    return p;
  }
  fail(Errc::invalid_argument, "unknown preset '" + preset + "' (known: tiny" + known + ")");
}

SynthResult synthesize(const SynthOptions& o) {
  const SynthPreset& p = o.preset;
  if (p.n_embd % 32 != 0 || p.n_ff % 32 != 0 || p.n_ff_exp % 32 != 0 || p.head_dim % 2 != 0 ||
      p.n_rot % 2 != 0 || p.n_rot > p.head_dim || p.n_head % p.n_head_kv != 0 || p.n_expert_used > p.n_expert)
    fail(Errc::invalid_argument, "preset '" + p.name + "' has an impossible shape");
  const tokenizer::SynthVocab vocab = tokenizer::make_synth_vocab(p.vocab_style, p.n_vocab);

  const ArchDef& arch = synth_arch(p.arch);
  const HParams hp = preset_hparams(p);
  const std::vector<TensorSpec> plan = tensor_plan(p, arch, hp);
  std::vector<TensorPlanInput> inputs;
  for (const auto& t : plan) inputs.push_back({t.name, t.dims, Type::F32});
  const std::vector<Type> types = plan_types(o.type, inputs, MixContext{p.n_head, p.n_head_kv, p.arch});

  SynthResult res;
  std::vector<StreamTensor> stream;
  for (size_t i = 0; i < plan.size(); ++i) {
    stream.push_back({plan[i].name, types[i], plan[i].dims});
    int64_t n = 1;
    for (int64_t d : plan[i].dims) n *= d;
    res.n_params += n;
    ++res.tensor_types[std::string(tensor::type_name(types[i]))];
  }
  res.n_tensors = static_cast<int64_t>(plan.size());

  GgufStreamWriter w(o.out, metadata(p, arch, hp, o.type, o.seed, vocab), std::move(stream));
  const std::vector<float> rope = p.rope_scale_factor > 0 ? llama3_rope_factors(p) : std::vector<float>{};
  const std::vector<float> rope_long = p.longrope ? longrope_factors(p, true) : std::vector<float>{};
  const std::vector<float> rope_short = p.longrope ? longrope_factors(p, false) : std::vector<float>{};
  auto produce = [&](size_t i, int64_t row0, int64_t nrows, float* out) {
    const TensorSpec& t = plan[i];
    const std::vector<float>& factors = t.model_slot == &Weights::rope_long    ? rope_long
                                        : t.model_slot == &Weights::rope_short ? rope_short
                                                                               : rope;
    const int64_t cols = t.dims[0];
    for (int64_t r = 0; r < nrows; ++r) {
      float* row = out + r * cols;
      switch (t.role) {
        case TensorRole::matrix:  // variance 1/cols keeps activations O(1) through every layer
          fill_row(o.seed, i, row0 + r, 0.0f, std::sqrt(3.0f / static_cast<float>(cols)), row, cols);
          break;
        case TensorRole::norm: fill_row(o.seed, i, row0 + r, 1.0f, 0.1f, row, cols); break;
        case TensorRole::bias: fill_row(o.seed, i, row0 + r, 0.0f, 0.05f, row, cols); break;
        case TensorRole::rope_factors: std::copy(factors.begin(), factors.end(), row); break;
      }
    }
  };
  const int threads = o.n_threads > 0 ? o.n_threads : std::max(1u, std::thread::hardware_concurrency());
  fill_tensors(w, produce, threads);
  res.file_bytes = w.total_size();
  w.commit();
  return res;
}

}  // namespace hearth::model
