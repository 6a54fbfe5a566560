#include "model/synth.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "core/error.h"
#include "model/synth_gguf.h"
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
  p.head_dim = arch == "qwen3" ? 64 : p.n_embd / p.n_head;
  p.n_ff = 768;
  p.n_ctx = 4096;
  p.rope_base = arch == "llama" ? 10000.0f : 1000000.0f;
  p.rms_eps = arch == "llama" ? 1e-5f : 1e-6f;
  p.tied = arch != "llama";
  return p;
}

// Shapes as published for each model (config.json of the Hugging Face release).
std::vector<SynthPreset> build_presets() {
  std::vector<SynthPreset> v = {tiny("llama"), tiny("qwen2"), tiny("qwen3")};
  SynthPreset l32;
  l32.name = "llama-3.2-1b";
  l32.arch = "llama";
  l32.n_vocab = 128256, l32.n_embd = 2048, l32.n_layer = 16, l32.n_head = 32, l32.n_head_kv = 8;
  l32.head_dim = 64, l32.n_ff = 8192, l32.n_ctx = 131072, l32.rope_base = 500000.0f, l32.rms_eps = 1e-5f;
  l32.tied = true;
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
  return v;
}

// What a tensor holds decides how its values are drawn.
enum class Kind { matrix, norm, bias, rope_freqs };

struct Plan {
  std::string name;
  std::vector<int64_t> dims;
  Kind kind;
};

std::vector<Plan> tensor_plan(const SynthPreset& p) {
  const int64_t q_dim = p.n_head * p.head_dim, kv_dim = p.n_head_kv * p.head_dim;
  std::vector<Plan> v;
  v.push_back({"token_embd.weight", {p.n_embd, p.n_vocab}, Kind::matrix});
  if (p.rope_scale_factor > 0) v.push_back({"rope_freqs.weight", {p.head_dim / 2}, Kind::rope_freqs});
  for (int64_t l = 0; l < p.n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    v.push_back({b + "attn_norm.weight", {p.n_embd}, Kind::norm});
    v.push_back({b + "attn_q.weight", {p.n_embd, q_dim}, Kind::matrix});
    v.push_back({b + "attn_k.weight", {p.n_embd, kv_dim}, Kind::matrix});
    v.push_back({b + "attn_v.weight", {p.n_embd, kv_dim}, Kind::matrix});
    if (p.arch == "qwen2") {
      v.push_back({b + "attn_q.bias", {q_dim}, Kind::bias});
      v.push_back({b + "attn_k.bias", {kv_dim}, Kind::bias});
      v.push_back({b + "attn_v.bias", {kv_dim}, Kind::bias});
    }
    if (p.arch == "qwen3") {
      v.push_back({b + "attn_q_norm.weight", {p.head_dim}, Kind::norm});
      v.push_back({b + "attn_k_norm.weight", {p.head_dim}, Kind::norm});
    }
    v.push_back({b + "attn_output.weight", {q_dim, p.n_embd}, Kind::matrix});
    v.push_back({b + "ffn_norm.weight", {p.n_embd}, Kind::norm});
    v.push_back({b + "ffn_gate.weight", {p.n_embd, p.n_ff}, Kind::matrix});
    v.push_back({b + "ffn_up.weight", {p.n_embd, p.n_ff}, Kind::matrix});
    v.push_back({b + "ffn_down.weight", {p.n_ff, p.n_embd}, Kind::matrix});
  }
  v.push_back({"output_norm.weight", {p.n_embd}, Kind::norm});
  if (!p.tied) v.push_back({"output.weight", {p.n_embd, p.n_vocab}, Kind::matrix});
  // Laid out as llama-quantize lays out its files.
  std::stable_sort(v.begin(), v.end(), [](const Plan& a, const Plan& b) { return llama_cpp_tensor_less(a.name, b.name); });
  return v;
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

std::vector<std::pair<std::string, Value>> metadata(const SynthPreset& p, FileType ft, uint64_t seed,
                                                     const tokenizer::SynthVocab& vocab) {
  std::vector<std::pair<std::string, Value>> kv;
  const std::string a = p.arch + ".";
  kv.emplace_back("general.architecture", Value::str(p.arch));
  kv.emplace_back("general.type", Value::str("model"));
  kv.emplace_back("general.name", Value::str("hearth synth " + p.name + " (random weights, seed " +
                                             std::to_string(seed) + ")"));
  kv.emplace_back(a + "block_count", Value::u32(static_cast<uint32_t>(p.n_layer)));
  kv.emplace_back(a + "context_length", Value::u32(static_cast<uint32_t>(p.n_ctx)));
  kv.emplace_back(a + "embedding_length", Value::u32(static_cast<uint32_t>(p.n_embd)));
  kv.emplace_back(a + "feed_forward_length", Value::u32(static_cast<uint32_t>(p.n_ff)));
  kv.emplace_back(a + "attention.head_count", Value::u32(static_cast<uint32_t>(p.n_head)));
  kv.emplace_back(a + "attention.head_count_kv", Value::u32(static_cast<uint32_t>(p.n_head_kv)));
  kv.emplace_back(a + "rope.freq_base", Value::f32(p.rope_base));
  kv.emplace_back(a + "attention.layer_norm_rms_epsilon", Value::f32(p.rms_eps));
  kv.emplace_back(a + "attention.key_length", Value::u32(static_cast<uint32_t>(p.head_dim)));
  kv.emplace_back(a + "attention.value_length", Value::u32(static_cast<uint32_t>(p.head_dim)));
  kv.emplace_back("general.file_type", Value::u32(static_cast<uint32_t>(ft)));
  kv.emplace_back(a + "vocab_size", Value::u32(static_cast<uint32_t>(p.n_vocab)));
  kv.emplace_back(a + "rope.dimension_count", Value::u32(static_cast<uint32_t>(p.head_dim)));
  // Llama 3 frequency scaling lives only in rope_freqs.weight: llama.cpp's converter writes no
  // rope.scaling.* keys for it, and llama.cpp (like hearth) refuses a scaling type it does not know.
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
  if (!arch.empty() && arch != "llama" && arch != "qwen2" && arch != "qwen3")
    fail(Errc::invalid_argument, "--arch '" + arch + "' is not one of llama, qwen2, qwen3");
  std::string known;
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
  if (p.n_embd % 32 != 0 || p.n_ff % 32 != 0 || p.head_dim % 2 != 0 || p.n_head % p.n_head_kv != 0)
    fail(Errc::invalid_argument, "preset '" + p.name + "' has an impossible shape");
  const tokenizer::SynthVocabStyle style =
      p.arch == "llama" ? tokenizer::SynthVocabStyle::llama3 : tokenizer::SynthVocabStyle::chatml;
  const tokenizer::SynthVocab vocab = tokenizer::make_synth_vocab(style, p.n_vocab);

  const std::vector<Plan> plan = tensor_plan(p);
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

  GgufStreamWriter w(o.out, metadata(p, o.type, o.seed, vocab), std::move(stream));
  const std::vector<float> rope = p.rope_scale_factor > 0 ? llama3_rope_factors(p) : std::vector<float>{};
  auto produce = [&](size_t i, int64_t row0, int64_t nrows, float* out) {
    const Plan& t = plan[i];
    const int64_t cols = t.dims[0];
    for (int64_t r = 0; r < nrows; ++r) {
      float* row = out + r * cols;
      switch (t.kind) {
        case Kind::matrix:  // variance 1/cols keeps activations O(1) through every layer
          fill_row(o.seed, i, row0 + r, 0.0f, std::sqrt(3.0f / static_cast<float>(cols)), row, cols);
          break;
        case Kind::norm: fill_row(o.seed, i, row0 + r, 1.0f, 0.1f, row, cols); break;
        case Kind::bias: fill_row(o.seed, i, row0 + r, 0.0f, 0.05f, row, cols); break;
        case Kind::rope_freqs: std::copy(rope.begin(), rope.end(), row); break;
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
